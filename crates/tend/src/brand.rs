//! Branding for customer-facing pages (the public request form, the
//! portal): a name, a logo and a primary colour. The colour reaches pages
//! through the generated stylesheet at `/brand.css`, since the
//! Content-Security-Policy blocks inline styles; a logo file is served at
//! `/brand/logo` (both by `web::public::brand`).

use std::path::Path;

/// The built-in primary colour (the agent UI's accent).
pub const DEFAULT_COLOR: &str = "#2456c7";
/// Largest logo file accepted.
const MAX_LOGO_BYTES: u64 = 1024 * 1024;

/// How customer-facing pages look.
#[derive(Debug, Clone)]
pub struct Brand {
    /// Shown as the page heading and title.
    pub name: String,
    /// Primary colour, `#rrggbb` (checked).
    pub color: String,
    pub logo: Option<Logo>,
}

/// Where the logo comes from.
#[derive(Debug, Clone)]
pub enum Logo {
    /// An image on another site, linked as given (checked `http(s)://`).
    Url(String),
    /// A local image file, read at startup and served at `/brand/logo`.
    File {
        content_type: &'static str,
        data: Vec<u8>,
    },
}

impl Default for Brand {
    fn default() -> Self {
        Brand {
            name: "Tend".into(),
            color: DEFAULT_COLOR.into(),
            logo: None,
        }
    }
}

impl Brand {
    /// Builds a brand from settings, refusing a bad colour, logo URL or file.
    pub fn new(
        name: Option<String>,
        color: Option<String>,
        logo_url: Option<String>,
        logo_file: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let color = match color {
            Some(c) => parse_color(&c)?,
            None => DEFAULT_COLOR.into(),
        };
        let logo = match (logo_url, logo_file) {
            (Some(_), Some(_)) => {
                anyhow::bail!("--brand-logo-url and --brand-logo-file: give one or neither")
            }
            (Some(url), None) => Some(Logo::Url(parse_logo_url(&url)?)),
            (None, Some(path)) => Some(read_logo(path)?),
            (None, None) => None,
        };
        let name = name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "Tend".into());
        Ok(Brand { name, color, logo })
    }

    /// The logo's address for an `<img src>`, if there is a logo.
    pub fn logo_src(&self) -> Option<&str> {
        match &self.logo {
            Some(Logo::Url(url)) => Some(url),
            Some(Logo::File { .. }) => Some("/brand/logo"),
            None => None,
        }
    }

    /// The `img-src` sources a branded page needs.
    pub fn img_sources(&self) -> String {
        match &self.logo {
            Some(Logo::Url(url)) => format!("'self' data: {url}"),
            _ => "'self' data:".into(),
        }
    }

    /// The generated stylesheet.
    pub fn css(&self) -> String {
        format!(
            "/* Generated from Tend's brand settings. */\n\
             :root {{ --brand: {c}; }}\n\
             .branded .brand-bar {{ border-bottom: 4px solid {c}; }}\n\
             .branded button, .branded .button {{ background: {c}; border-color: {c}; color: #fff; }}\n\
             .branded a {{ color: {c}; }}\n",
            c = self.color
        )
    }
}

/// Checks a colour is `#rrggbb`; answers it in lower case.
pub fn parse_color(raw: &str) -> anyhow::Result<String> {
    let raw = raw.trim();
    let hex = raw.strip_prefix('#').unwrap_or_default();
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        anyhow::bail!("brand colour `{raw}` is not of the form #rrggbb (such as #2456c7)");
    }
    Ok(raw.to_ascii_lowercase())
}

/// Checks a logo URL is plain `http(s)://…` with nothing that could break
/// out of an attribute or a CSP source list.
fn parse_logo_url(raw: &str) -> anyhow::Result<String> {
    let raw = raw.trim();
    let scheme_ok = raw.starts_with("https://") || raw.starts_with("http://");
    let clean = raw
        .chars()
        .all(|c| c.is_ascii_graphic() && !matches!(c, ';' | ',' | '\'' | '"' | '<' | '>'));
    if !scheme_ok || !clean {
        anyhow::bail!("brand logo URL `{raw}` must be a plain http:// or https:// address");
    }
    Ok(raw.to_owned())
}

/// Reads a logo file, its type from its extension.
fn read_logo(path: &Path) -> anyhow::Result<Logo> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let content_type = match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        _ => anyhow::bail!(
            "brand logo {} must be a .png, .jpg, .gif, .webp or .svg file",
            path.display()
        ),
    };
    let size = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("cannot read brand logo {}: {e}", path.display()))?
        .len();
    if size > MAX_LOGO_BYTES {
        anyhow::bail!("brand logo {} is larger than 1 MiB", path.display());
    }
    let data = std::fs::read(path)
        .map_err(|e| anyhow::anyhow!("cannot read brand logo {}: {e}", path.display()))?;
    Ok(Logo::File { content_type, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_must_be_six_hex_digits() {
        assert_eq!(parse_color(" #A1b2C3 ").unwrap(), "#a1b2c3");
        for bad in ["a1b2c3", "#abc", "#12345g", "red", "#1234567", "#123456;}"] {
            assert!(parse_color(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn logo_urls_must_be_plain_http() {
        assert!(parse_logo_url("https://example.com/logo.png").is_ok());
        for bad in [
            "javascript:alert(1)",
            "https://x/a b",
            "https://x/'; script-src *",
        ] {
            assert!(parse_logo_url(bad).is_err(), "{bad}");
        }
    }
}
