//! The phase state as the method's agents write it, read with the byte
//! range of every value, so that each finding sits on the value it is about.
//!
//! The file is strict JSON. Text that is not, or a value of the wrong type
//! where the method puts a phase, an event or a gate, is one [`ShapeError`]
//! at the bad place; nothing else of the file is read then.

use jsonc_parser::ast::{Object, ObjectProp, Value};

use crate::text::TextRange;

/// A string value of the file and where it is (its quotes included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned {
    pub value: String,
    pub range: TextRange,
}

/// The whole file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhaseState {
    /// Every top-level object with `ra_events` or `files_modified`, in file
    /// order.
    pub phases: Vec<Phase>,
    /// The entries of the top-level `gates` object, in file order.
    pub gates: Vec<Gate>,
    /// The top-level object's opening brace.
    pub start: TextRange,
}

/// One phase of the task (`implementation_pass1`, `design`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase {
    /// Its key.
    pub name: Spanned,
    pub events: Vec<Event>,
    pub files_modified: Vec<Spanned>,
}

/// One `ra_events` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The whole object.
    pub range: TextRange,
    pub tag: Option<Spanned>,
    pub message: Option<Spanned>,
    pub file: Option<Spanned>,
    pub resolved: bool,
}

impl Event {
    /// The tag's name, without `#` and `:`.
    pub fn tag_name(&self) -> Option<&str> {
        let t = self.tag.as_ref()?.value.trim();
        let t = t.strip_prefix('#').unwrap_or(t);
        let t = t.strip_suffix(':').unwrap_or(t).trim();
        (!t.is_empty()).then_some(t)
    }
}

/// One gate of the `gates` object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    pub name: Spanned,
    /// `gate_decision`: its text when it is a string, and the value's range.
    pub decision: Option<(Option<String>, TextRange)>,
    pub evidence: Vec<Spanned>,
}

/// Why the file cannot be read as a phase state, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError {
    pub range: TextRange,
    pub message: String,
}

fn key_of(p: &ObjectProp<'_>) -> Spanned {
    let (value, r) = match &p.name {
        jsonc_parser::ast::ObjectPropName::String(s) => (s.value.to_string(), s.range),
        jsonc_parser::ast::ObjectPropName::Word(w) => (w.value.to_owned(), w.range),
    };
    Spanned {
        value,
        range: TextRange::new(r.start, r.end),
    }
}

fn kind_of(v: &Value<'_>) -> &'static str {
    match v {
        Value::StringLit(_) => "a string",
        Value::NumberLit(_) => "a number",
        Value::BooleanLit(_) => "a boolean",
        Value::Object(_) => "an object",
        Value::Array(_) => "an array",
        Value::NullKeyword(_) => "null",
    }
}

fn wrong(v: &Value<'_>, what: &str) -> ShapeError {
    ShapeError {
        range: crate::text::json_range(v),
        message: format!("{what}, not {}", kind_of(v)),
    }
}

fn string(v: &Value<'_>, what: &str) -> Result<Spanned, ShapeError> {
    match v {
        Value::StringLit(s) => Ok(Spanned {
            value: s.value.to_string(),
            range: crate::text::json_range(v),
        }),
        _ => Err(wrong(v, &format!("{what} must be a string"))),
    }
}

fn strings(v: &Value<'_>, what: &str) -> Result<Vec<Spanned>, ShapeError> {
    match v {
        Value::Array(a) => a.elements.iter().map(|e| string(e, what)).collect(),
        _ => Err(wrong(v, &format!("{what} must be an array of strings"))),
    }
}

/// The line and column (one-based, in characters) of a byte offset, for
/// messages.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// Reads a phase state from its text.
pub fn parse(text: &str) -> Result<PhaseState, ShapeError> {
    let parsed = jsonc_parser::parse_to_ast(text, &Default::default(), &crate::text::strict_json())
        .map_err(|e| {
            let r = e.range();
            let (line, col) = line_col(text, r.start);
            ShapeError {
                range: TextRange::new(r.start, r.end.max(r.start)),
                message: format!(
                    "not valid JSON at line {line}, column {col}: {}",
                    e.kind().to_string().to_lowercase()
                ),
            }
        })?;
    let Some(root) = parsed.value else {
        return Err(ShapeError {
            range: TextRange::new(0, 0),
            message: "the file is empty: a phase state is a JSON object".to_owned(),
        });
    };
    let Value::Object(top) = &root else {
        return Err(wrong(&root, "a phase state must be a JSON object"));
    };
    let mut state = PhaseState {
        start: TextRange::new(top.range.start, top.range.start + 1),
        ..PhaseState::default()
    };
    for prop in &top.properties {
        let name = key_of(prop);
        if name.value == "gates" {
            let Value::Object(gates) = &prop.value else {
                return Err(wrong(&prop.value, "`gates` must be an object of gates"));
            };
            for g in &gates.properties {
                state.gates.push(gate(g)?);
            }
            continue;
        }
        if let Value::Object(obj) = &prop.value
            && (obj.get("ra_events").is_some() || obj.get("files_modified").is_some())
        {
            state.phases.push(phase(name, obj)?);
        }
    }
    Ok(state)
}

fn phase(name: Spanned, obj: &Object<'_>) -> Result<Phase, ShapeError> {
    let mut phase = Phase {
        name,
        events: Vec::new(),
        files_modified: Vec::new(),
    };
    if let Some(files) = obj.get("files_modified") {
        phase.files_modified = strings(&files.value, "`files_modified`")?;
    }
    if let Some(events) = obj.get("ra_events") {
        let Value::Array(list) = &events.value else {
            return Err(wrong(
                &events.value,
                "`ra_events` must be an array of events",
            ));
        };
        for e in &list.elements {
            phase.events.push(event(e)?);
        }
    }
    Ok(phase)
}

fn event(v: &Value<'_>) -> Result<Event, ShapeError> {
    let Value::Object(obj) = v else {
        return Err(wrong(v, "an `ra_events` entry must be an object"));
    };
    let field = |key: &str| {
        obj.get(key)
            .map(|p| string(&p.value, &format!("an event's `{key}`")))
            .transpose()
    };
    let resolved = match obj.get("resolved").map(|p| &p.value) {
        None | Some(Value::NullKeyword(_)) => false,
        Some(Value::BooleanLit(b)) => b.value,
        Some(other) => return Err(wrong(other, "an event's `resolved` must be true or false")),
    };
    Ok(Event {
        range: crate::text::json_range(v),
        tag: field("tag")?,
        message: field("message")?,
        file: field("file")?,
        resolved,
    })
}

fn gate(prop: &ObjectProp<'_>) -> Result<Gate, ShapeError> {
    let name = key_of(prop);
    let Value::Object(obj) = &prop.value else {
        return Err(wrong(
            &prop.value,
            &format!("the gate `{}` must be an object", name.value),
        ));
    };
    let decision = obj.get("gate_decision").map(|p| {
        let text = match &p.value {
            Value::StringLit(s) => Some(s.value.to_string()),
            _ => None,
        };
        (text, crate::text::json_range(&p.value))
    });
    let evidence = match obj.get("evidence_paths").map(|p| &p.value) {
        None | Some(Value::NullKeyword(_)) => Vec::new(),
        Some(v) => strings(v, "`evidence_paths`")?,
    };
    Ok(Gate {
        name,
        decision,
        evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_places() {
        let text = r##"{
  "impl": { "files_modified": ["src/a.ts"],
    "ra_events": [ { "tag": "#COMPLETION_DRIVE", "message": "m", "file": "src/a.ts", "resolved": false } ] },
  "notes": { "x": 1 },
  "gates": { "design_qa": { "gate_decision": "PASS", "evidence_paths": ["e.png"] } }
}"##;
        let s = parse(text).unwrap();
        assert_eq!(s.phases.len(), 1);
        let at = |r: TextRange| &text[r.start..r.end];
        assert_eq!(at(s.phases[0].name.range), "\"impl\"");
        assert_eq!(at(s.phases[0].files_modified[0].range), "\"src/a.ts\"");
        let e = &s.phases[0].events[0];
        assert_eq!(e.tag_name(), Some("COMPLETION_DRIVE"));
        assert_eq!(at(e.tag.as_ref().unwrap().range), "\"#COMPLETION_DRIVE\"");
        assert!(at(e.range).starts_with('{') && at(e.range).ends_with('}'));
        assert_eq!(s.gates[0].name.value, "design_qa");
        assert_eq!(at(s.gates[0].decision.as_ref().unwrap().1), "\"PASS\"");
        assert_eq!(at(s.gates[0].evidence[0].range), "\"e.png\"");
    }

    #[test]
    fn bad_json_and_wrong_shapes_are_one_error_at_their_place() {
        let text = "{\n  \"a\": { \"ra_events\": [ {\"tag\": \"#X\",} ] }\n}";
        let e = parse(text).unwrap_err();
        assert!(e.message.starts_with("not valid JSON at line 2"), "{e:?}");
        // The trailing comma itself.
        assert_eq!(&text[e.range.start..e.range.start + 1], ",");
        assert!(e.message.contains("trailing comma"), "{e:?}");
        let text = r##"{ "a": { "ra_events": [ { "tag": 7 } ] } }"##;
        let e = parse(text).unwrap_err();
        assert_eq!(&text[e.range.start..e.range.end], "7");
        assert_eq!(e.message, "an event's `tag` must be a string, not a number");
        let e = parse("[1]").unwrap_err();
        assert_eq!(e.range, TextRange::new(0, 3));
        assert!(parse("").is_err());
    }
}
