//! Name pickers: a text field where a person types a name (an organisation, a pôle, a user,
//! a commune), suggestions as they type (`static/app.js` asks `/suggest/{kind}` for an HTML
//! fragment), and — without JavaScript, or when the typed name is not unique — the page
//! comes back listing the matching names next to the field, or saying that none matches.
//! Rendered by the `picker` macro of `templates/picker.html`.

use crate::ui::chrome::Chrome;
use poles_app::worklists::{PickKind, Resolved, Suggestion};

/// The state of one picker field on a page.
#[derive(Debug, Clone)]
pub struct Picker {
    /// The form field of the typed name; the chosen value goes in `{name}_value`.
    pub name: String,
    /// The kind in the suggestion address: `organisation`, `cluster`, `user`, `commune`, `region`.
    pub kind: &'static str,
    pub typed: String,
    pub value: String,
    pub error: Option<String>,
    /// Several names matched: the person chooses one.
    pub choices: Vec<Suggestion>,
    /// The field must be filled (most are; a relief record's project is optional).
    pub required: bool,
}

/// The address segment of a kind.
pub fn kind_name(kind: PickKind) -> &'static str {
    match kind {
        PickKind::Organisation => "organisation",
        PickKind::Cluster => "cluster",
        PickKind::User => "user",
        PickKind::Commune => "commune",
        PickKind::Region => "region",
        PickKind::Application => "application",
    }
}

/// The kind of an address segment.
pub fn kind_of(s: &str) -> Option<PickKind> {
    match s {
        "organisation" => Some(PickKind::Organisation),
        "cluster" => Some(PickKind::Cluster),
        "user" => Some(PickKind::User),
        "commune" => Some(PickKind::Commune),
        "region" => Some(PickKind::Region),
        "application" => Some(PickKind::Application),
        _ => None,
    }
}

impl Picker {
    /// An empty picker.
    pub fn new(name: &str, kind: PickKind) -> Picker {
        Picker {
            name: name.to_string(),
            kind: kind_name(kind),
            typed: String::new(),
            value: String::new(),
            error: None,
            choices: Vec::new(),
            required: true,
        }
    }

    /// The same picker, which may be left empty.
    pub fn optional(self) -> Picker {
        Picker {
            required: false,
            ..self
        }
    }

    /// A picker showing a current value by its name.
    pub fn with(name: &str, kind: PickKind, typed: &str, value: &str) -> Picker {
        Picker {
            typed: typed.to_string(),
            value: value.to_string(),
            ..Picker::new(name, kind)
        }
    }

    /// A picker shown again after a refused form: the typed name kept, with the choices
    /// when several matched, or `error` beside it.
    pub fn refused(name: &str, kind: PickKind, typed: &str, error: String) -> Picker {
        Picker {
            typed: typed.to_string(),
            error: Some(error),
            ..Picker::new(name, kind)
        }
    }

    /// From a resolution: the one name chosen, or the choices, or the "no match" note, in
    /// the page's language.
    pub fn unresolved(c: &Chrome, name: &str, kind: PickKind, typed: &str, r: Resolved) -> Picker {
        match r {
            Resolved::Many(choices) => Picker {
                choices,
                ..Picker::refused(name, kind, typed, c.t.t("picker.many").to_string())
            },
            Resolved::One(s) => Picker::with(name, kind, &s.label, &s.value),
            Resolved::None => Picker::refused(name, kind, typed, c.t.t("picker.none").to_string()),
        }
    }

    pub fn error_id(&self) -> String {
        format!("{}-error", self.name.replace(['[', ']', '.'], "-"))
    }
}
