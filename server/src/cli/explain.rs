//! `tagls explain CODE`, the codes in `tagls check --help` and the codes'
//! section of docs/CHECK.md: every text comes from the one code table
//! (`findings::Code`).

use std::process::ExitCode;

use crate::findings::{Code, Verdict};
use crate::tags::{Family, Registry};

use super::EXIT_USAGE;

/// Every finding code, in the order the documentation lists them: the
/// checks, then the tag families, then configuration errors.
pub fn codes() -> impl Iterator<Item = Code> {
    Code::CHECKS
        .into_iter()
        .chain(Family::ALL.map(Code::Tag))
        .chain([Code::Config])
}

/// What a code can do to the verdict, in a word or two.
fn effect_label(code: Code, registry: &Registry) -> &'static str {
    let mut outcomes: Vec<Option<Verdict>> = registry
        .defs()
        .iter()
        .filter(|d| !matches!(code, Code::Tag(f) if f != d.family))
        .map(|d| code.gate(&d.name, Some(d.family)))
        .collect();
    if !matches!(code, Code::Tag(_)) {
        outcomes.push(code.gate("", None));
    }
    let all_same = outcomes.windows(2).all(|w| w[0] == w[1]);
    match outcomes.iter().copied().flatten().max() {
        Some(Verdict::Blocked) if all_same => "BLOCKS",
        Some(Verdict::Blocked) => "may block",
        Some(Verdict::Conditional) if all_same => "CONDITIONAL",
        Some(Verdict::Conditional) => "may be CONDITIONAL",
        _ => "informational",
    }
}

/// The codes as `tagls check --help` lists them, after its options.
pub fn codes_help() -> String {
    let registry = Registry::builtin();
    let line = |c: Code| {
        format!(
            "  {:<22} {:<18} {}\n",
            c.as_str(),
            effect_label(c, &registry),
            c.rule()
        )
    };
    let mut out = String::from(
        "Finding codes (`tagls explain CODE` says what each means, how to fix and how to silence it).\n\
         Checks; turn one off in .tagls.toml with `[checks]` `CODE = \"off\"` (it then no longer counts\n\
         towards the verdict), or change its severity (\"error\", \"warning\", \"information\", \"hint\").\n\
         \"may block\": on some tags only; `tagls explain CODE` says which.\n\n",
    );
    for c in Code::CHECKS {
        out.push_str(&line(c));
    }
    out.push_str(
        "\nTags, by family; quieten one with `[families]` `FAMILY = \"off\"`, or a tag with `[tags.NAME]`:\n\n",
    );
    for f in Family::ALL {
        out.push_str(&line(Code::Tag(f)));
    }
    out.push_str("\nAnd a configuration file that cannot be used:\n\n");
    out.push_str(&line(Code::Config));
    out.push_str(
        "\nIn code, `tagls: ignore-next-line` silences the line below the comment, `tagls: ignore-file` the file.",
    );
    out
}

/// One code explained: its rule, what it does to the verdict, an example,
/// the fix and how to silence it.
pub struct Explanation {
    pub code: Code,
    pub rule: &'static str,
    pub effect: String,
    pub example: &'static str,
    pub fix: String,
    pub silence: String,
}

pub fn explanation(code: Code) -> Explanation {
    Explanation {
        code,
        rule: code.rule(),
        effect: code.effect_text(&Registry::builtin()),
        example: code.example(),
        fix: code.fix_text(code.example_subject()),
        silence: code.silence_text(),
    }
}

/// The explanation as `tagls explain` prints it.
pub fn text(code: Code) -> String {
    let e = explanation(code);
    format!(
        "{}: {}\n\nVerdict:  {}\nExample:  {}\nFix:      {}\nSilence:  {}\n",
        e.code, e.rule, e.effect, e.example, e.fix, e.silence
    )
}

/// Where the generated part of docs/CHECK.md starts and ends.
pub const DOC_BEGIN: &str =
    "<!-- codes: generated from server/src/findings/code.rs; a test keeps them in sync -->";
pub const DOC_END: &str = "<!-- end of codes -->";

/// The codes' section of docs/CHECK.md, between [`DOC_BEGIN`] and
/// [`DOC_END`].
pub fn markdown() -> String {
    let mut out = String::new();
    for code in codes() {
        let e = explanation(code);
        out.push_str(&format!(
            "\n#### `{}`\n\n{}.\n\n- **Verdict**: {}\n- **Example**: `{}`\n- **Fix**: {}\n- **Silence**: {}\n",
            e.code,
            e.rule,
            e.effect,
            e.example.replace('`', "'"),
            e.fix,
            e.silence
        ));
    }
    out
}

/// The codes, as an unknown one is answered.
pub fn list() -> String {
    codes().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
}

/// The code `name` means: a code (any case), or a tag's name, which stands
/// for its family's code and comes with a line that introduces the tag.
/// An unknown name is the error the user is shown.
pub fn lookup(name: &str) -> Result<(Code, Option<String>), String> {
    let name = name.trim().trim_start_matches('#').trim_end_matches(':');
    if let Some(code) = Code::parse(name).or_else(|| Code::parse(&name.to_lowercase())) {
        return Ok((code, None));
    }
    match Registry::builtin().get(name) {
        Some(def) => Ok((
            Code::Tag(def.family),
            Some(format!(
                "#{} is {} {} tag: {}",
                def.name,
                if def.family == Family::Assumption {
                    "an"
                } else {
                    "a"
                },
                def.family.name(),
                def.description
            )),
        )),
        None => Err(format!(
            "unknown code `{}`; the codes are: {}",
            super::check::escape_controls(name),
            list()
        )),
    }
}

pub fn run(code: Option<String>) -> ExitCode {
    let out = match code {
        None => format!("{}\n", codes_help()),
        Some(name) => match lookup(&name) {
            Ok((code, intro)) => {
                let intro = intro.map(|i| format!("{i}\n\n")).unwrap_or_default();
                intro + &text(code)
            }
            Err(e) => {
                eprintln!("tagls: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        },
    };
    if super::print_result(&out) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_USAGE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_every_part() {
        for code in codes() {
            let e = explanation(code);
            for part in [e.rule, e.example, &e.effect, &e.fix, &e.silence] {
                assert!(!part.trim().is_empty(), "{code}");
            }
        }
        assert_eq!(codes().count(), Code::CHECKS.len() + Family::ALL.len() + 1);
    }

    #[test]
    fn effects_follow_the_gate() {
        let r = Registry::builtin();
        assert_eq!(
            Code::FalseClaim.effect_text(&r),
            "Always BLOCKS the verdict."
        );
        assert_eq!(
            Code::UndeclaredEnv.effect_text(&r),
            "Informational: it does not change the verdict."
        );
        let missing = Code::MissingPath.effect_text(&r);
        assert!(
            missing.starts_with("BLOCKS the verdict on assumption and claim tags;"),
            "{missing}"
        );
        let verdict = Code::Tag(Family::Verdict).effect_text(&r);
        assert!(
            verdict.contains("BLOCKS the verdict on #FAILED_VERIFICATION")
                && verdict.contains("CONDITIONAL on #CANNOT_VERIFY_WITHOUT_RUNTIME"),
            "{verdict}"
        );
    }

    /// docs/CHECK.md holds [`markdown`] between its markers. With
    /// `TAGLS_WRITE_DOCS=1` the test writes it there instead.
    #[test]
    fn the_check_doc_lists_every_code_as_the_table_has_it() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/CHECK.md");
        let doc = std::fs::read_to_string(&path).unwrap();
        let (Some(begin), Some(end)) = (doc.find(DOC_BEGIN), doc.find(DOC_END)) else {
            panic!("docs/CHECK.md lacks the markers {DOC_BEGIN} and {DOC_END}");
        };
        let inside = &doc[begin + DOC_BEGIN.len()..end];
        let want = format!("{}\n", markdown());
        if inside != want {
            if std::env::var_os("TAGLS_WRITE_DOCS").is_some() {
                let new = format!("{}{want}{}", &doc[..begin + DOC_BEGIN.len()], &doc[end..]);
                std::fs::write(&path, new).unwrap();
            } else {
                panic!(
                    "docs/CHECK.md's codes differ from the code table; run this test with TAGLS_WRITE_DOCS=1 to write them"
                );
            }
        }
    }
}
