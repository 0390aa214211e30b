//! Form parameters of an OAuth request, already checked for repeats.

/// Parameters RFC 8707 allows more than once; every other one must be single.
pub const REPEATABLE: &[&str] = &["resource"];

#[derive(Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Takes decoded pairs; returns the name of a repeated parameter if any.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, String> {
        for (i, (name, _)) in pairs.iter().enumerate() {
            if !REPEATABLE.contains(&name.as_str()) && pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(name.clone());
            }
        }
        Ok(Params(pairs))
    }

    /// A single-valued parameter; an empty value counts as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every pair as given, empty values included.
    pub fn pairs(&self) -> impl Iterator<Item = &(String, String)> {
        self.0.iter()
    }

    /// `application/x-www-form-urlencoded`, as a pushed request is kept.
    pub fn to_form(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.0.iter())
            .finish()
    }

    pub fn from_form(form: &str) -> Result<Self, String> {
        Self::from_pairs(
            url::form_urlencoded::parse(form.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }
}

// Parameters carry secrets; never print their values.
impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(n, _)| n))
            .finish()
    }
}
