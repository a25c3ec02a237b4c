//! The report charts, drawn on the server as SVG with the `svg` crate. No
//! chart relies on colour: every bar and point carries its value as text,
//! axes are labelled, and each chart has a `<title>` and an `aria-label`.
//! The page shows a table with the same numbers next to each.

use svg::Document;
use svg::node::element::{Circle, Group, Line, Polyline, Rectangle, Text, Title};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
/// Room for labels around the plot.
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 40.0;
/// Most x-axis labels a line chart prints; the rest are in the table.
const MAX_X_LABELS: usize = 8;

/// An attribute value from our own text: the `svg` crate does not escape
/// quotes in attributes, so none may reach it.
fn attr(text: &str) -> String {
    text.replace('"', "'")
}

fn label(x: f64, y: f64, anchor: &str, text: impl Into<String>) -> Text {
    Text::new(text)
        .set("x", x)
        .set("y", y)
        .set("text-anchor", anchor)
        .set("font-size", 11)
        .set("font-family", "sans-serif")
        .set("fill", "currentColor")
}

/// The frame every chart shares: title and accessible name.
fn frame(title: &str, height: f64) -> Document {
    Document::new()
        .set("viewBox", (0, 0, WIDTH, height))
        .set("width", "100%")
        .set("role", "img")
        .set("aria-label", attr(title))
        .set("class", "chart")
        .add(Title::new(title))
}

fn axis(x1: f64, y1: f64, x2: f64, y2: f64) -> Line {
    Line::new()
        .set("x1", x1)
        .set("y1", y1)
        .set("x2", x2)
        .set("y2", y2)
        .set("stroke", "currentColor")
}

/// A round top for an axis: at least 1, so empty data still draws.
fn top(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(0.0, f64::max).max(1.0)
}

/// Vertical bars, each labelled below and with its value above.
pub fn bars(title: &str, bars: &[(String, f64)]) -> String {
    let max = top(bars.iter().map(|b| b.1));
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = (WIDTH - LEFT - RIGHT) / bars.len().max(1) as f64;
    let mut group = Group::new().add(axis(LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM));
    for (i, (name, value)) in bars.iter().enumerate() {
        let h = plot_h * value / max;
        let x = LEFT + slot * i as f64;
        let centre = x + slot / 2.0;
        group = group
            .add(
                Rectangle::new()
                    .set("x", x + slot * 0.15)
                    .set("y", HEIGHT - BOTTOM - h)
                    .set("width", slot * 0.7)
                    .set("height", h)
                    .set("class", "bar"),
            )
            .add(label(
                centre,
                HEIGHT - BOTTOM - h - 4.0,
                "middle",
                number(*value),
            ))
            .add(label(
                centre,
                HEIGHT - BOTTOM + 16.0,
                "middle",
                name.clone(),
            ));
    }
    frame(title, HEIGHT).add(group).to_string()
}

/// Horizontal bars, named on the left with their value at the end.
pub fn horizontal_bars(title: &str, bars: &[(String, f64)]) -> String {
    const ROW: f64 = 24.0;
    const NAMES: f64 = 170.0;
    let height = TOP + ROW * bars.len().max(1) as f64 + 8.0;
    let max = top(bars.iter().map(|b| b.1));
    let room = WIDTH - NAMES - RIGHT - 48.0;
    let mut group = Group::new().add(axis(NAMES, TOP - 4.0, NAMES, height - 4.0));
    for (i, (name, value)) in bars.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let w = room * value / max;
        group = group
            .add(label(NAMES - 6.0, y + 15.0, "end", name.clone()))
            .add(
                Rectangle::new()
                    .set("x", NAMES)
                    .set("y", y + 3.0)
                    .set("width", w)
                    .set("height", ROW - 8.0)
                    .set("class", "bar"),
            )
            .add(label(NAMES + w + 6.0, y + 15.0, "start", number(*value)));
    }
    frame(title, height).add(group).to_string()
}

/// A line over labelled points, with a marker at each; values are written
/// at the first, last and highest points (all of them when few).
pub fn line(title: &str, points: &[(String, f64)]) -> String {
    let max = top(points.iter().map(|p| p.1));
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = (WIDTH - LEFT - RIGHT) / (points.len().max(2) - 1) as f64;
    let at = |i: usize, v: f64| (LEFT + step * i as f64, HEIGHT - BOTTOM - plot_h * v / max);
    let highest = points
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.1.total_cmp(&b.1.1))
        .map(|(i, _)| i);
    let every = points.len().div_ceil(MAX_X_LABELS).max(1);
    let mut group = Group::new()
        .add(axis(LEFT, TOP, LEFT, HEIGHT - BOTTOM))
        .add(axis(LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM))
        .add(label(LEFT - 6.0, TOP + 4.0, "end", number(max)))
        .add(label(LEFT - 6.0, HEIGHT - BOTTOM, "end", "0"));
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            let (x, y) = at(i, *v);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    group = group.add(
        Polyline::new()
            .set("points", path.join(" "))
            .set("fill", "none")
            .set("stroke", "currentColor")
            .set("stroke-width", 2)
            .set("class", "line"),
    );
    for (i, (name, value)) in points.iter().enumerate() {
        let (x, y) = at(i, *value);
        group = group.add(
            Circle::new()
                .set("cx", x)
                .set("cy", y)
                .set("r", 3)
                .set("class", "point"),
        );
        let few = points.len() <= MAX_X_LABELS;
        if few || i == 0 || i + 1 == points.len() || Some(i) == highest {
            group = group.add(label(x, y - 8.0, "middle", number(*value)));
        }
        if i % every == 0 || i + 1 == points.len() {
            group = group.add(label(x, HEIGHT - BOTTOM + 16.0, "middle", name.clone()));
        }
    }
    frame(title, HEIGHT).add(group).to_string()
}

/// A scatter of (x, y, how many) with x from 0 to `x_max` and y from 1 to
/// `y_max`; a point's size grows with its count, which is written beside it.
pub fn scatter(
    title: &str,
    x_name: &str,
    y_name: &str,
    points: &[(f64, f64, u64)],
    x_max: f64,
    y_max: f64,
) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let at = |x: f64, y: f64| {
        (
            LEFT + plot_w * x / x_max,
            HEIGHT - BOTTOM - plot_h * (y - 1.0) / (y_max - 1.0).max(1.0),
        )
    };
    let mut group = Group::new()
        .add(axis(LEFT, TOP, LEFT, HEIGHT - BOTTOM))
        .add(axis(LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM))
        .add(label(LEFT + plot_w / 2.0, HEIGHT - 6.0, "middle", x_name))
        .add(label(LEFT - 30.0, TOP - 8.0, "start", y_name));
    for tick in 0..=4 {
        let x = x_max * f64::from(tick) / 4.0;
        group = group.add(label(
            at(x, 1.0).0,
            HEIGHT - BOTTOM + 14.0,
            "middle",
            number(x),
        ));
    }
    for tick in 1..=y_max as u32 {
        group = group.add(label(
            LEFT - 6.0,
            at(0.0, f64::from(tick)).1 + 4.0,
            "end",
            tick.to_string(),
        ));
    }
    for (x, y, n) in points {
        let (cx, cy) = at(*x, *y);
        let r = 3.0 + (*n as f64).sqrt().min(6.0);
        group = group.add(
            Circle::new()
                .set("cx", cx)
                .set("cy", cy)
                .set("r", r)
                .set("class", "point")
                .add(Title::new(format!("{x_name} {x}, {y_name} {y}: {n} cases"))),
        );
        if *n > 1 {
            group = group.add(label(cx + r + 2.0, cy + 4.0, "start", n.to_string()));
        }
    }
    frame(title, HEIGHT).add(group).to_string()
}

/// A value as a label: whole numbers without decimals.
fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_titled_images_with_escaped_labels() {
        let svg = bars(
            "Effort <distribution>",
            &[("a<b".into(), 3.0), ("c".into(), 0.0)],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title>Effort &lt;distribution&gt;</title>"));
        assert!(svg.contains("a&lt;b"));
        assert!(!svg.contains("a<b"));
        let empty = line("Trend", &[]);
        assert!(empty.contains("<title>Trend</title>"));
        let s = scatter(
            "Calibration",
            "effort",
            "CES",
            &[(40.0, 2.0, 3)],
            100.0,
            7.0,
        );
        assert!(s.contains("effort 40, CES 2: 3 cases"), "{s}");
    }
}
