//! A small builder for statements whose WHERE clause depends on the request,
//! numbering `$n` placeholders so both dialects accept them.

use crate::cursor::Cursor;
use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

/// `1, 2, 3`: ids to inline in an `IN (…)` list. Only for ids read from
/// the store (numbers, so nothing can be smuggled in), where binding each
/// one would need a statement per list length.
pub(crate) fn inline_ids(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value to bind.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}

/// SQL text plus its arguments, in placeholder order.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
    has_where: bool,
}

impl Sql {
    pub(crate) fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// Appends raw SQL.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(crate) fn arg(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    /// This statement as a subquery: `{before}(this){after}`, its
    /// placeholders kept.
    pub(crate) fn wrapped(mut self, before: &str, after: &str) -> Self {
        self.text = format!("{before}({}){after}", self.text);
        self
    }

    /// Appends `LOWER(expr) LIKE $n ESCAPE '\'`: `expr` contains `text`,
    /// ignoring (ASCII) case, with `%`, `_` and `\` in `text` taken
    /// literally.
    pub(crate) fn contains(&mut self, expr: &str, text: &str) -> &mut Self {
        self.push("LOWER(")
            .push(expr)
            .push(") LIKE ")
            .arg(like_pattern(&text.to_lowercase()))
            .push(" ESCAPE '\\'")
    }

    /// Binds the next numbered placeholder already written in the text.
    pub(crate) fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        self
    }

    /// Appends `(id, id, ...)` with each id bound.
    pub(crate) fn id_list(&mut self, ids: &[i64]) -> &mut Self {
        self.push("(");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.arg(*id);
        }
        self.push(")")
    }

    /// Starts the next condition with WHERE or AND.
    pub(crate) fn and(&mut self) -> &mut Self {
        self.text
            .push_str(if self.has_where { " AND " } else { " WHERE " });
        self.has_where = true;
        self
    }

    /// Adds `column = value` when a value is given.
    pub(crate) fn eq(&mut self, column: &str, value: Option<impl Into<Arg>>) -> &mut Self {
        if let Some(v) = value {
            self.and().push(column).push(" = ").arg(v);
        }
        self
    }

    /// Adds the keyset condition for the page after `cursor`, in the given
    /// direction, over `(key_column, id)`.
    pub(crate) fn after(
        &mut self,
        key_column: &str,
        cursor: Option<Cursor>,
        descending: bool,
    ) -> &mut Self {
        if let Some(c) = cursor {
            let op = if descending { " < " } else { " > " };
            if key_column == "id" {
                self.and().push("id").push(op).arg(c.id);
            } else {
                self.and()
                    .push("(")
                    .push(key_column)
                    .push(", id)")
                    .push(op)
                    .push("(")
                    .arg(c.key)
                    .push(", ")
                    .arg(c.id)
                    .push(")");
            }
        }
        self
    }

    /// Orders by `(key_column, id)` and fetches one row more than `limit`.
    pub(crate) fn order_limit(
        &mut self,
        key_column: &str,
        descending: bool,
        limit: i64,
    ) -> &mut Self {
        let dir = if descending { " DESC" } else { " ASC" };
        if key_column == "id" {
            self.push(" ORDER BY id").push(dir);
        } else {
            self.push(" ORDER BY ")
                .push(key_column)
                .push(dir)
                .push(", id")
                .push(dir);
        }
        self.push(" LIMIT ").arg(limit + 1)
    }

    /// The statement, ready to run.
    pub(crate) fn query(&self) -> Query<'_, Any, AnyArguments> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(self.text.clone()));
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }
}

/// A LIKE pattern matching any text that contains `text`.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
