//! A macro for the closed sets of words the domain uses (statuses, roles...),
//! each stored and sent as a lower-case string.

/// Declares an enum whose variants map one-to-one to wire strings, with
/// `as_str`, `parse` (naming the field on error) and `ALL`. The wire string
/// must be the snake_case form of the variant name: serde and the OpenAPI
/// schema derive it from the name (a test checks they agree).
#[macro_export]
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and storage form.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the wire form, naming `field` when the value is unknown.
            pub fn parse(field: &str, raw: &str) -> Result<Self, $crate::Invalid> {
                match raw { $($text => Ok($name::$variant),)+
                    other => Err($crate::Invalid::new(field, format!(
                        "`{other}` is not one of: {}",
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
