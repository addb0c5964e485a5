//! Recurring assumptions: payloads that say the same thing in different words, grouped.
//!
//! Plain data in, plain data out: the caller hands over the tags it found (tag, payload, place)
//! and gets back groups of payloads that state the same belief, most members first. A group
//! with at least [`Options::threshold`] members is a candidate for a written standard
//! ("mobile breakpoint is 768px: 4 times in 3 files").
//!
//! The method, in order (docs/AUDIT.md, "Recurring assumptions", says why):
//! 1. [`normalise`] reduces a payload to its *anchors* (paths, numbers with their units, words
//!    with digits, environment variable names, language tags, object shapes, negation), its
//!    *words* (lower case, filler dropped, abbreviations spelled out, stemmed) and its *names*.
//! 2. Payloads are blocked by tag family and anchor set: two payloads can only group when they
//!    belong to the same family and name exactly the same paths, numbers and variables.
//! 3. Within a block, pairs are scored by the mean of a word-set Jaccard index and a Dice
//!    coefficient over the words' character trigrams. Large blocks only compare pairs that share
//!    a rare word.
//! 4. Average-link clustering merges while the mean similarity between two clusters is at least
//!    [`Options::similarity`], so one close pair cannot chain two unrelated clusters together.
//! 5. A group's label is its medoid's own payload text, never a blend of several.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use regex::Regex;
use rust_stemmers::{Algorithm, Stemmer};

use crate::tags::registry::Registry;

/// One tag as the caller found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The tag's name, with or without `#` and `:` (`COMPLETION_DRIVE`, `#CONTEXT_DEGRADED:`).
    pub tag: String,
    /// The free text after the tag.
    pub payload: String,
    /// Where the tag is, workspace-relative.
    pub path: String,
    /// Its line, as the caller counts lines.
    pub line: usize,
}

/// How groups are formed.
#[derive(Clone, Debug)]
pub struct Options {
    /// A group with at least this many members is a candidate standard.
    pub threshold: usize,
    /// The least mean similarity (0 to 1) at which two clusters merge.
    pub similarity: f64,
    /// Which family each tag belongs to; tags it does not know only group with their own name.
    pub registry: Registry,
}

/// The similarity at which clusters merge by default, set on the labelled corpus in
/// `tests/fixtures/recur/corpus.tsv`: most paraphrase pairs there score 0.5 or more (the weakest,
/// 0.32 to 0.45, join through their mean with the other members), and pairs of one block that are
/// labelled apart score at most 0.39, but for one pair at 0.53 that the mean keeps apart.
pub const DEFAULT_SIMILARITY: f64 = 0.42;

/// Blocks up to this size compare every pair; larger ones compare only pairs sharing a rare word.
const ALL_PAIRS_UP_TO: usize = 256;

/// In a large block, a word carried by more payloads than this is too common to pair on.
const RARE_WORD_AT_MOST: usize = 48;

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: 3,
            similarity: DEFAULT_SIMILARITY,
            registry: Registry::builtin(),
        }
    }
}

/// Payloads that state the same thing.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// A readable representative wording: one member's payload, exactly as written (trimmed).
    pub label: String,
    /// Indices into the items, ascending.
    pub members: Vec<usize>,
    /// The members' files, distinct and sorted, with `/` separators and no leading `./`.
    pub files: Vec<String>,
    /// Whether the group is large enough to be a candidate standard.
    pub candidate: bool,
}

/// Group the items' payloads: groups of two or more, most members first, then by their first
/// member. The same input always gives the same groups, labels and order.
pub fn groups(items: &[Item], options: &Options) -> Vec<Group> {
    let stemmer = Stemmer::create(Algorithm::English);
    let reduced: Vec<Reduced> = items
        .iter()
        .map(|item| Reduced::new(normalise_with(&item.payload, &stemmer)))
        .collect();

    // Blocks: same family, same anchors. A BTreeMap keeps the order independent of hashing.
    // A payload of filler alone ("Assuming that", or nothing) says nothing to group on.
    let mut blocks: BTreeMap<(String, Vec<String>), Vec<usize>> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        let normalised = &reduced[index].normalised;
        if normalised.words.is_empty() && normalised.anchors.is_empty() {
            continue;
        }
        let anchors = reduced[index].normalised.anchors.iter().cloned().collect();
        blocks
            .entry((family_key(&item.tag, &options.registry), anchors))
            .or_default()
            .push(index);
    }

    let mut found = Vec::new();
    for members in blocks.values() {
        if members.len() < 2 {
            continue;
        }
        for cluster in cluster_block(members, &reduced, options.similarity) {
            found.push(group_of(cluster, items, &reduced, options));
        }
    }
    found.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then_with(|| a.members[0].cmp(&b.members[0]))
    });
    found
}

/// What a payload reduces to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Normalised {
    /// What must match exactly for two payloads to group: paths, numbers with units, words
    /// with digits, environment variable names, language tags, object shapes, and [`NEGATED`]
    /// when the payload says `not`.
    pub anchors: BTreeSet<String>,
    /// The remaining words: lower case, filler dropped, abbreviations spelled out, stemmed.
    pub words: Vec<String>,
    /// What the payload names, in lower case: `CamelCase` and `ACRONYM` words anywhere,
    /// capitalised words after the first. Two payloads that both name something, and nothing in
    /// common, are about different things (`User` and `Organization`).
    pub names: BTreeSet<String>,
}

/// Reduce a payload to its anchors and its words.
pub fn normalise(payload: &str) -> Normalised {
    normalise_with(payload, &Stemmer::create(Algorithm::English))
}

fn normalise_with(payload: &str, stemmer: &Stemmer) -> Normalised {
    let mut out = Normalised::default();
    let (text, shapes) = take_shapes(payload);
    out.anchors.extend(shapes);
    let chunks: Vec<&str> = text.split_whitespace().map(trim_chunk).collect();
    let mut first_chunk = true;
    let mut at = 0;
    while at < chunks.len() {
        let chunk = chunks[at];
        at += 1;
        if chunk.is_empty() {
            continue;
        }
        let first = std::mem::replace(&mut first_chunk, false);
        if let Some(path) = normalise_path(chunk) {
            out.anchors.insert(path);
            continue;
        }
        // `~30s`, `$5`, `<=3`: the sign says how sure the author is, the number is what matters.
        let unsigned = chunk.trim_start_matches(['~', '≈', '$', '+', '=', '<', '>', '@']);
        if unsigned.starts_with(|c: char| c.is_ascii_digit()) {
            let next = chunks.get(at).copied().unwrap_or("");
            let (number, took_next) = normalise_number(unsigned, next);
            if took_next {
                at += 1;
            }
            out.anchors.insert(number);
            continue;
        }
        if is_language_tag(chunk) {
            out.anchors.insert(chunk.to_lowercase());
            continue;
        }
        let lower_chunk = chunk.to_lowercase();
        if lower_chunk.ends_with("n't") || lower_chunk.ends_with("n’t") {
            out.anchors.insert(NEGATED.to_string());
            continue;
        }
        // `width=768.0px`, `ISO-8601`: a number inside a chunk is still a number, decimals and all.
        for part in chunk.split(|c: char| !(c.is_alphanumeric() || "_.%".contains(c))) {
            let part = part.trim_matches('.');
            if part.starts_with(|c: char| c.is_ascii_digit()) {
                out.anchors.insert(normalise_number(part, "").0);
                continue;
            }
            for piece in part.split(['.', '%']) {
                add_word(&mut out, piece, first, stemmer);
            }
        }
    }
    out
}

/// One word of a payload: an anchor when it is a variable name or holds a digit, a name when
/// [`is_name`] says so, then (unless it is filler) a stemmed word.
fn add_word(out: &mut Normalised, piece: &str, first_chunk: bool, stemmer: &Stemmer) {
    if piece.is_empty() {
        return;
    }
    if is_env_name(piece) {
        out.anchors.insert(piece.to_string());
        return;
    }
    if piece.chars().any(|c| c.is_ascii_digit()) {
        out.anchors.insert(piece.to_lowercase());
        return;
    }
    if is_name(piece, first_chunk) {
        out.names.insert(piece.to_lowercase());
    }
    let lower = piece.to_lowercase();
    if NEGATIONS.contains(&lower.as_str()) {
        out.anchors.insert(NEGATED.to_string());
        return;
    }
    let word = spell_out(&lower);
    if word.chars().count() < 2 || FILLER.contains(&word) || COUNT_WORDS.contains(&word) {
        return;
    }
    out.words.push(stemmer.stem(word).into_owned());
}

/// Take the object shapes out of a payload: `{token, user}` and `{ user, token }` are the anchor
/// `{token,user}`, a sorted set of field names that must match exactly.
fn take_shapes(payload: &str) -> (String, Vec<String>) {
    let mut text = String::with_capacity(payload.len());
    let mut shapes = Vec::new();
    let mut rest = payload;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        text.push_str(&rest[..open]);
        text.push(' ');
        let fields: BTreeSet<String> = rest[open + 1..open + close]
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|field| !field.is_empty())
            .map(str::to_lowercase)
            .collect();
        shapes.push(format!(
            "{{{}}}",
            fields.into_iter().collect::<Vec<_>>().join(",")
        ));
        rest = &rest[open + close + 1..];
    }
    text.push_str(rest);
    (text, shapes)
}

/// Whether a word names something: `LaunchDarkly`, `CORS`, or `Redis` outside the first chunk (a
/// payload's first word is capitalised as a sentence's is).
fn is_name(piece: &str, first_chunk: bool) -> bool {
    let mut chars = piece.chars();
    let Some(head) = chars.next() else {
        return false;
    };
    let inner_upper = chars.clone().filter(char::is_ascii_uppercase).count();
    let letters = piece.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 2 || !head.is_uppercase() {
        return false;
    }
    inner_upper > 0 || !first_chunk
}

/// Characters that wrap a word in prose and are never part of what it names.
const WRAPPERS: &[char] = &[
    '"', '\'', '`', '“', '”', '‘', '’', '(', ')', '[', ']', '{', '}', '<', '>', ',', ';', ':', '!',
    '?', '*',
];

/// Strip quotes, brackets and sentence punctuation from both ends of a chunk, and full stops
/// from its end only (a leading `.` belongs to `./src` or `.env`).
fn trim_chunk(chunk: &str) -> &str {
    let mut current = chunk;
    loop {
        let next = current.trim_matches(WRAPPERS).trim_end_matches('.');
        if next == current {
            return current;
        }
        current = next;
    }
}

/// First segments that make a single-separator word pair a path (`src/services`) rather than
/// prose (`and/or`, `success/error`).
const PATH_ROOTS: &[&str] = &[
    "src",
    "lib",
    "app",
    "api",
    "test",
    "tests",
    "server",
    "client",
    "pkg",
    "cmd",
    "internal",
    "components",
    "pages",
    "public",
    "config",
    "scripts",
    "docs",
    "packages",
    "prisma",
    "migrations",
];

/// File extensions that make a dotted word a file name (`user.service.ts`, `.env.example`).
const FILE_EXTENSIONS: &[&str] = &[
    "ts", "tsx", "js", "jsx", "mjs", "cjs", "json", "go", "py", "rs", "md", "yml", "yaml", "toml",
    "env", "example", "local", "prisma", "sql", "css", "scss", "html", "png", "jpg", "jpeg",
    "lock", "txt", "sh", "swift", "kt", "java", "rb", "php", "vue", "svelte", "graphql", "proto",
    "ini",
];

/// The one spelling of a path, or `None` when the chunk is not one. Case, quotes, `\` against
/// `/`, a leading `./` and a trailing `/` do not matter: `./src/a.ts`, `src/a.ts` and `src\a.ts`
/// are one path.
pub fn normalise_path(chunk: &str) -> Option<String> {
    let chunk = trim_chunk(chunk);
    if !chunk.chars().any(char::is_alphanumeric) {
        return None;
    }
    let unified = chunk.replace('\\', "/").to_lowercase();
    let has_separator = unified.contains('/');
    let looks_like_path = if has_separator {
        let segments: Vec<&str> = unified.split('/').collect();
        unified.contains("://")
            || unified.starts_with('/')
            || unified.starts_with("./")
            || unified.starts_with("../")
            || unified.starts_with("~/")
            || unified.starts_with("@/")
            || segments.len() > 2
            || segments.last().is_some_and(|last| last.contains('.'))
            || PATH_ROOTS.contains(&segments[0])
    } else {
        is_file_name(&unified)
    };
    if !looks_like_path {
        return None;
    }
    let mut path = unified.as_str();
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    let path = path.trim_end_matches('/');
    // Collapse doubled separators, except the one after a URL's scheme.
    let mut out = String::with_capacity(path.len());
    let mut previous = '\0';
    let mut before_previous = '\0';
    for c in path.chars() {
        if c == '/' && previous == '/' && before_previous != ':' {
            continue;
        }
        before_previous = previous;
        previous = c;
        out.push(c);
    }
    (!out.is_empty()).then_some(out)
}

/// `user.service.ts`, `.env.example`, `package.json`: a dotted word ending in a known extension.
/// Not `e.g` or `i.e`, whose stems are a single letter.
fn is_file_name(lower: &str) -> bool {
    let Some((stem, extension)) = lower.rsplit_once('.') else {
        return false;
    };
    FILE_EXTENSIONS.contains(&extension)
        && (stem.is_empty() || stem.starts_with('.') || stem.chars().count() >= 2)
        && lower
            .chars()
            .all(|c| c.is_alphanumeric() || "._-@".contains(c))
}

/// Words that reverse a statement. A payload with any of them carries the anchor [`NEGATED`],
/// so "the cache is shared" and "the cache is not shared" never group.
const NEGATIONS: &[&str] = &["not", "no", "never", "without", "cannot", "none", "nor"];

/// The anchor of a negated payload; it cannot be mistaken for a path, number or name.
pub const NEGATED: &str = "¬";

/// `en-US`, `de-DE`: a language tag names a locale, which must match like a number.
fn is_language_tag(chunk: &str) -> bool {
    let bytes = chunk.as_bytes();
    bytes.len() == 5
        && bytes[2] == b'-'
        && bytes[..2].iter().all(u8::is_ascii_lowercase)
        && bytes[3..].iter().all(u8::is_ascii_uppercase)
}

/// `JWT_SECRET`, `NEXT_PUBLIC_API_URL`: upper case words joined by `_`.
fn is_env_name(piece: &str) -> bool {
    piece.contains('_')
        && piece.starts_with(|c: char| c.is_ascii_uppercase())
        && !piece.ends_with('_')
        && !piece.contains("__")
        && piece
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Units, each spelling with its one name. Count words (`3x`, `3 times`) have none: a count is
/// the bare number.
const UNITS: &[(&str, &str)] = &[
    ("px", "px"),
    ("pixel", "px"),
    ("pixels", "px"),
    ("em", "em"),
    ("rem", "rem"),
    ("vh", "vh"),
    ("vw", "vw"),
    ("pt", "pt"),
    ("%", "%"),
    ("percent", "%"),
    ("ms", "ms"),
    ("msec", "ms"),
    ("millisecond", "ms"),
    ("milliseconds", "ms"),
    ("s", "s"),
    ("sec", "s"),
    ("secs", "s"),
    ("second", "s"),
    ("seconds", "s"),
    ("m", "min"),
    ("min", "min"),
    ("mins", "min"),
    ("minute", "min"),
    ("minutes", "min"),
    ("h", "h"),
    ("hr", "h"),
    ("hrs", "h"),
    ("hour", "h"),
    ("hours", "h"),
    ("d", "d"),
    ("day", "d"),
    ("days", "d"),
    ("wk", "w"),
    ("week", "w"),
    ("weeks", "w"),
    ("kb", "kb"),
    ("mb", "mb"),
    ("gb", "gb"),
    ("tb", "tb"),
    ("x", ""),
    ("times", ""),
];

/// Words that only say "a count" and are dropped wherever they stand.
const COUNT_WORDS: &[&str] = &["times", "x"];

fn unit_of(word: &str) -> Option<&'static str> {
    let lower = word.to_lowercase();
    let lower = lower.strip_prefix('-').unwrap_or(&lower);
    UNITS
        .iter()
        .find(|(spelling, _)| *spelling == lower)
        .map(|(_, unit)| *unit)
}

/// The one spelling of a number that starts `chunk`, with its unit if it has one, and whether
/// the unit was the `next` chunk (`768 px`). `768px`, `768 px` and `768.0px` are `768px`;
/// `1,000ms` is `1000ms`; `15-minute` is `15min`; `3x` is `3`. A chunk that is not a number
/// and a unit (`1024x768`, `2024-01-31`, `3.0.1`) is kept whole, in lower case.
pub fn normalise_number(chunk: &str, next: &str) -> (String, bool) {
    static NUMBER: OnceLock<Regex> = OnceLock::new();
    let number = NUMBER.get_or_init(|| {
        Regex::new(r"^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(.*)$").expect("a valid pattern")
    });
    let chunk = trim_chunk(chunk);
    let Some(captures) = number.captures(chunk) else {
        return (chunk.to_lowercase(), false);
    };
    let whole = captures.get(1).map_or("", |m| m.as_str()).replace(',', "");
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let fraction = captures
        .get(2)
        .map_or("", |m| m.as_str())
        .trim_end_matches('0');
    let value = if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    };
    let rest = captures.get(3).map_or("", |m| m.as_str());
    if rest.is_empty() {
        if let Some(unit) = unit_of(trim_chunk(next)) {
            return (format!("{value}{unit}"), true);
        }
        return (value, false);
    }
    match unit_of(rest) {
        Some(unit) => (format!("{value}{unit}"), false),
        None => (chunk.to_lowercase(), false),
    }
}

/// The method's filler and English function words: they say nothing about what is assumed.
/// Negations (`not`, `no`, `never`, `without`) are kept: they reverse it.
const FILLER: &[&str] = &[
    "assuming",
    "assume",
    "assumed",
    "assumes",
    "assumption",
    "presumably",
    "probably",
    "likely",
    "guess",
    "guessing",
    "think",
    "believe",
    "believed",
    "seems",
    "seem",
    "apparently",
    "i",
    "we",
    "you",
    "they",
    "my",
    "our",
    "your",
    "their",
    "it",
    "its",
    "this",
    "these",
    "those",
    "that",
    "the",
    "a",
    "an",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "am",
    "will",
    "would",
    "shall",
    "should",
    "can",
    "could",
    "may",
    "might",
    "must",
    "do",
    "does",
    "did",
    "has",
    "have",
    "had",
    "of",
    "to",
    "in",
    "on",
    "at",
    "for",
    "with",
    "by",
    "from",
    "as",
    "into",
    "onto",
    "so",
    "and",
    "or",
    "but",
    "if",
    "then",
    "than",
    "there",
    "here",
    "which",
    "what",
    "also",
    "just",
    "all",
    "any",
    "some",
    "per",
    "via",
    "same",
    "already",
    "currently",
    "still",
    "etc",
    "eg",
    "ie",
];

/// Abbreviations agents use interchangeably with the full word, spelled out.
const SPELLED_OUT: &[(&str, &str)] = &[
    ("env", "environment"),
    ("envs", "environment"),
    ("var", "variable"),
    ("vars", "variables"),
    ("auth", "authentication"),
    ("authn", "authentication"),
    ("config", "configuration"),
    ("cfg", "configuration"),
    ("db", "database"),
    ("repo", "repository"),
    ("req", "request"),
    ("reqs", "requests"),
    ("res", "response"),
    ("resp", "response"),
    ("msg", "message"),
    ("btn", "button"),
    ("param", "parameter"),
    ("params", "parameters"),
    ("ttl", "lifetime"),
    ("expiry", "lifetime"),
    ("expiration", "lifetime"),
    ("expires", "lifetime"),
    ("expire", "lifetime"),
    ("lifespan", "lifetime"),
    ("max", "maximum"),
    ("min", "minimum"),
    ("tz", "timezone"),
    ("ui", "interface"),
    ("jwts", "jwt"),
    ("limit", "maximum"),
    ("limits", "maximum"),
];

fn spell_out(lower: &str) -> &str {
    SPELLED_OUT
        .iter()
        .find(|(short, _)| *short == lower)
        .map_or(lower, |(_, long)| long)
}

/// The family a tag groups within: its registered family, or the tag itself when unknown.
fn family_key(tag: &str, registry: &Registry) -> String {
    let name = tag
        .trim()
        .trim_start_matches('#')
        .trim_end_matches(':')
        .trim();
    let def = registry
        .get(name)
        .or_else(|| registry.get(&name.to_uppercase()));
    match def {
        Some(def) => def.family.name().to_string(),
        None => format!("tag:{}", name.to_uppercase()),
    }
}

/// A payload ready for scoring: its words as a set, and their character trigrams.
struct Reduced {
    normalised: Normalised,
    words: BTreeSet<String>,
    /// Sorted, without repeats, so two payloads' trigrams intersect in one merge pass.
    trigrams: Vec<[char; 3]>,
}

/// What makes two payloads of one block indistinguishable: their words and their names.
type Likeness<'a> = (&'a BTreeSet<String>, &'a BTreeSet<String>);

impl Reduced {
    fn likeness(&self) -> Likeness<'_> {
        (&self.words, &self.normalised.names)
    }

    fn new(normalised: Normalised) -> Reduced {
        let words: BTreeSet<String> = normalised.words.iter().cloned().collect();
        let mut trigrams = Vec::new();
        for word in &words {
            let padded: Vec<char> = std::iter::once(' ')
                .chain(word.chars())
                .chain(std::iter::once(' '))
                .collect();
            for window in padded.windows(3) {
                trigrams.push([window[0], window[1], window[2]]);
            }
        }
        trigrams.sort_unstable();
        trigrams.dedup();
        Reduced {
            normalised,
            words,
            trigrams,
        }
    }
}

/// How alike two payloads of one block are, from 0 to 1: the mean of the Jaccard index of their
/// word sets (anchors count as shared words, being equal in a block) and the Dice coefficient of
/// their words' character trigrams (which forgives stems that differ by a letter).
fn similarity(a: &Reduced, b: &Reduced) -> f64 {
    let (names_a, names_b) = (&a.normalised.names, &b.normalised.names);
    if !names_a.is_empty() && !names_b.is_empty() && names_a.is_disjoint(names_b) {
        return 0.0;
    }
    let anchors = a.normalised.anchors.len();
    let shared_words = a.words.intersection(&b.words).count();
    let union = a.words.len() + b.words.len() - shared_words + anchors;
    let jaccard = if union == 0 {
        1.0
    } else {
        (shared_words + anchors) as f64 / union as f64
    };
    let trigram_total = a.trigrams.len() + b.trigrams.len();
    let dice = if trigram_total == 0 {
        if anchors > 0 { 1.0 } else { 0.0 }
    } else {
        let shared = shared_count(&a.trigrams, &b.trigrams);
        2.0 * shared as f64 / trigram_total as f64
    };
    (jaccard + dice) / 2.0
}

/// How many elements two sorted, repeat-free slices share.
fn shared_count<T: Ord>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared
}

/// The pairs of a block worth scoring: all of them in a small block; in a large one, those that
/// share a word carried by at most [`RARE_WORD_AT_MOST`] of its payloads.
fn candidate_pairs(members: &[usize], reduced: &[Reduced]) -> Vec<(usize, usize)> {
    if members.len() <= ALL_PAIRS_UP_TO {
        let mut pairs = Vec::new();
        for (i, &a) in members.iter().enumerate() {
            for &b in &members[i + 1..] {
                pairs.push((a, b));
            }
        }
        return pairs;
    }
    let mut postings: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &member in members {
        for word in &reduced[member].words {
            postings.entry(word.as_str()).or_default().push(member);
        }
    }
    let mut pairs = BTreeSet::new();
    for carriers in postings.values() {
        if carriers.len() < 2 || carriers.len() > RARE_WORD_AT_MOST {
            continue;
        }
        for (i, &a) in carriers.iter().enumerate() {
            for &b in &carriers[i + 1..] {
                pairs.insert((a, b));
            }
        }
    }
    pairs.into_iter().collect()
}

/// Average-link clusters of one block with two or more members each.
fn cluster_block(members: &[usize], reduced: &[Reduced], threshold: f64) -> Vec<Vec<usize>> {
    // Payloads that reduce to the same words and names are one point with a weight: identical
    // points would merge first anyway, and a block of many repeats stays small.
    let mut alike: BTreeMap<Likeness, Vec<usize>> = BTreeMap::new();
    for &member in members {
        alike
            .entry(reduced[member].likeness())
            .or_default()
            .push(member);
    }
    let mut points: Vec<Vec<usize>> = alike.into_values().collect();
    points.sort_by_key(|same| same[0]);
    let heads: Vec<usize> = points.iter().map(|same| same[0]).collect();
    let point_of: HashMap<usize, usize> = heads.iter().enumerate().map(|(p, &h)| (h, p)).collect();

    let mut scores: HashMap<(usize, usize), f64> = HashMap::new();
    let mut parent: Vec<usize> = (0..points.len()).collect();
    for (a, b) in candidate_pairs(&heads, reduced) {
        let score = similarity(&reduced[a], &reduced[b]);
        if score <= 0.0 {
            continue;
        }
        let (a, b) = (point_of[&a], point_of[&b]);
        scores.insert((a.min(b), a.max(b)), score);
        if score >= threshold {
            let (root_a, root_b) = (find(&mut parent, a), find(&mut parent, b));
            parent[root_a.max(root_b)] = root_a.min(root_b);
        }
    }
    // Clusters never span two components of the graph of pairs at or above the threshold (a mean
    // at or above it needs one such pair), so each component is clustered on its own.
    let mut components: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for point in 0..points.len() {
        let root = find(&mut parent, point);
        components.entry(root).or_default().push(point);
    }
    let weights: Vec<usize> = points.iter().map(Vec::len).collect();
    let mut clusters = Vec::new();
    for component in components.into_values() {
        for cluster in average_link(&component, &weights, &scores, threshold) {
            let mut members: Vec<usize> = cluster
                .into_iter()
                .flat_map(|point| points[point].iter().copied())
                .collect();
            if members.len() >= 2 {
                members.sort_unstable();
                clusters.push(members);
            }
        }
    }
    clusters
}

fn find(parent: &mut [usize], mut node: usize) -> usize {
    while parent[node] != node {
        parent[node] = parent[parent[node]];
        node = parent[node];
    }
    node
}

/// Agglomerative clustering of one component of weighted points: repeatedly merge the two
/// clusters with the highest mean similarity over their members' pairs (pairs never scored count
/// as 0) while that mean is at least the threshold. Ties go to the pair of clusters named first.
fn average_link(
    component: &[usize],
    weights: &[usize],
    scores: &HashMap<(usize, usize), f64>,
    threshold: f64,
) -> Vec<Vec<usize>> {
    // Clusters are named by their first (smallest) point, which a merge keeps; a cluster's size
    // is the number of payloads it holds.
    let mut clusters: BTreeMap<usize, (Vec<usize>, usize)> = component
        .iter()
        .map(|&p| (p, (vec![p], weights[p])))
        .collect();
    let mut links: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    for (i, &a) in component.iter().enumerate() {
        for &b in &component[i + 1..] {
            let key = (a.min(b), a.max(b));
            if let Some(score) = scores.get(&key) {
                *links.entry(key).or_default() += score * (weights[a] * weights[b]) as f64;
            }
        }
    }
    loop {
        let mut best: Option<((usize, usize), f64)> = None;
        for (&(a, b), &sum) in &links {
            let size = |c: usize| clusters.get(&c).map_or(1, |(_, size)| *size);
            let mean = sum / (size(a) * size(b)) as f64;
            if best.is_none_or(|(_, top)| mean > top + 1e-12) {
                best = Some(((a, b), mean));
            }
        }
        let Some(((keep, gone), mean)) = best else {
            break;
        };
        if mean < threshold {
            break;
        }
        let (moved, moved_size) = clusters.remove(&gone).unwrap_or_default();
        if let Some((kept, size)) = clusters.get_mut(&keep) {
            kept.extend(moved);
            *size += moved_size;
        }
        let old = std::mem::take(&mut links);
        for ((a, b), sum) in old {
            let a = if a == gone { keep } else { a };
            let b = if b == gone { keep } else { b };
            if a == b {
                continue;
            }
            *links.entry((a.min(b), a.max(b))).or_default() += sum;
        }
    }
    clusters.into_values().map(|(points, _)| points).collect()
}

fn group_of(members: Vec<usize>, items: &[Item], reduced: &[Reduced], options: &Options) -> Group {
    // The medoid: the member most like the others; then the shortest wording; then the first.
    // Members that reduce alike are scored once, with their count.
    let mut alike: BTreeMap<Likeness, (usize, usize)> = BTreeMap::new();
    for &member in &members {
        alike
            .entry(reduced[member].likeness())
            .or_insert((member, 0))
            .1 += 1;
    }
    let points: Vec<(usize, usize)> = alike.into_values().collect();
    let mut label_index = members[0];
    let mut best: Option<(f64, usize)> = None;
    for &member in &members {
        let total: f64 = points
            .iter()
            .map(|&(other, count)| {
                if reduced[other].likeness() == reduced[member].likeness() {
                    (count - 1) as f64
                } else {
                    similarity(&reduced[member], &reduced[other]) * count as f64
                }
            })
            .sum();
        let length = items[member].payload.trim().chars().count();
        let better = match best {
            None => true,
            Some((top, top_length)) => {
                total > top + 1e-9 || ((total - top).abs() <= 1e-9 && length < top_length)
            }
        };
        if better {
            best = Some((total, length));
            label_index = member;
        }
    }
    let files: BTreeSet<String> = members
        .iter()
        .map(|&member| file_name(&items[member].path))
        .collect();
    Group {
        label: items[label_index].payload.trim().to_string(),
        candidate: members.len() >= options.threshold,
        files: files.into_iter().collect(),
        members,
    }
}

/// A member's file as a group lists it: `/` separators, no leading `./`; case kept.
fn file_name(path: &str) -> String {
    let unified = path.trim().replace('\\', "/");
    let mut rest = unified.as_str();
    while let Some(stripped) = rest.strip_prefix("./") {
        rest = stripped;
    }
    rest.to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// The labelled corpus: (group label, item) per payload; `-` is a payload that stays alone.
    fn corpus() -> Vec<(String, Item)> {
        let text = include_str!("../../tests/fixtures/recur/corpus.tsv");
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
            .map(|(number, line)| {
                let fields: Vec<&str> = line.split('\t').collect();
                assert_eq!(fields.len(), 4, "corpus line {}: {line}", number + 1);
                let item = Item {
                    tag: fields[1].to_string(),
                    payload: fields[3].to_string(),
                    path: fields[2].to_string(),
                    line: number + 1,
                };
                (fields[0].to_string(), item)
            })
            .collect()
    }

    /// Pairs of items that share a group, as (smaller, larger) indices.
    fn pairs_of<'a>(groups: impl Iterator<Item = &'a [usize]>) -> BTreeSet<(usize, usize)> {
        let mut pairs = BTreeSet::new();
        for members in groups {
            for (i, &a) in members.iter().enumerate() {
                for &b in &members[i + 1..] {
                    pairs.insert((a.min(b), a.max(b)));
                }
            }
        }
        pairs
    }

    #[test]
    fn the_corpus_groups_exactly_as_labelled() {
        let corpus = corpus();
        assert!(
            corpus.len() >= 120,
            "the corpus holds {} payloads",
            corpus.len()
        );
        let items: Vec<Item> = corpus.iter().map(|(_, item)| item.clone()).collect();
        let found = groups(&items, &Options::default());

        let mut labelled: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (index, (group, _)) in corpus.iter().enumerate() {
            if group != "-" {
                labelled.entry(group.as_str()).or_default().push(index);
            }
        }
        assert!(
            labelled.values().all(|members| members.len() >= 2),
            "every labelled group has two or more payloads"
        );
        let expected = pairs_of(labelled.values().map(Vec::as_slice));
        let actual = pairs_of(found.iter().map(|group| group.members.as_slice()));
        let true_positives = expected.intersection(&actual).count();
        let precision = true_positives as f64 / actual.len().max(1) as f64;
        let recall = true_positives as f64 / expected.len().max(1) as f64;
        eprintln!(
            "recurring assumptions corpus: {} payloads, {} labelled groups, {} found; \
             pairwise precision {precision:.3}, recall {recall:.3}",
            corpus.len(),
            labelled.len(),
            found.len()
        );
        // The margin the threshold sits in: the weakest pair inside a labelled group, and the
        // strongest pair of one block that is labelled apart.
        let options = Options::default();
        let stemmer = Stemmer::create(Algorithm::English);
        let reduced: Vec<Reduced> = items
            .iter()
            .map(|item| Reduced::new(normalise_with(&item.payload, &stemmer)))
            .collect();
        let (mut weakest_inside, mut strongest_apart) = (1.0f64, 0.0f64);
        for a in 0..items.len() {
            for b in a + 1..items.len() {
                let same_block = family_key(&items[a].tag, &options.registry)
                    == family_key(&items[b].tag, &options.registry)
                    && reduced[a].normalised.anchors == reduced[b].normalised.anchors;
                let score = similarity(&reduced[a], &reduced[b]);
                if expected.contains(&(a, b)) {
                    weakest_inside = weakest_inside.min(score);
                } else if same_block {
                    strongest_apart = strongest_apart.max(score);
                }
            }
        }
        eprintln!(
            "weakest pair inside a group {weakest_inside:.3}, strongest pair kept apart \
             {strongest_apart:.3}, threshold {:.3}",
            options.similarity
        );
        let show = |pairs: Vec<&(usize, usize)>| -> Vec<String> {
            pairs
                .into_iter()
                .map(|&(a, b)| format!("{:?} ~ {:?}", items[a].payload, items[b].payload))
                .collect()
        };
        let wrong = show(actual.difference(&expected).collect());
        let missed = show(expected.difference(&actual).collect());
        assert!(
            wrong.is_empty() && missed.is_empty(),
            "grouped but labelled apart: {wrong:#?}\nlabelled together but not grouped: {missed:#?}"
        );
        assert_eq!(found.len(), labelled.len());
    }

    #[test]
    fn groups_are_ordered_by_size_then_first_member_and_labelled_by_a_member() {
        let corpus = corpus();
        let items: Vec<Item> = corpus.iter().map(|(_, item)| item.clone()).collect();
        let found = groups(&items, &Options::default());
        for pair in found.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!(
                a.members.len() > b.members.len()
                    || (a.members.len() == b.members.len() && a.members[0] < b.members[0]),
                "{a:?} before {b:?}"
            );
        }
        for group in &found {
            assert!(group.members.windows(2).all(|w| w[0] < w[1]));
            assert!(
                group
                    .members
                    .iter()
                    .any(|&m| items[m].payload.trim() == group.label),
                "the label {:?} is one member's payload",
                group.label
            );
            assert_eq!(group.candidate, group.members.len() >= 3);
        }
        // The 768px group: five payloads in five files, one written with `\`, one with `./`.
        let breakpoint = found
            .iter()
            .find(|group| group.label.contains("768"))
            .expect("the 768px breakpoint recurs");
        assert_eq!(breakpoint.members.len(), 5);
        assert_eq!(
            breakpoint.files,
            [
                "src/components/Footer.tsx",
                "src/components/Header.tsx",
                "src/components/Nav.tsx",
                "src/pages/Home.tsx",
                "src/styles/layout.ts",
            ]
        );
        assert!(breakpoint.candidate);
        // The same input, in another order, gives the same groups of the same payloads.
        let reversed: Vec<Item> = items.iter().rev().cloned().collect();
        let again = groups(&reversed, &Options::default());
        let as_payloads = |groups: &[Group], items: &[Item]| -> BTreeSet<Vec<String>> {
            groups
                .iter()
                .map(|group| {
                    let mut texts: Vec<String> = group
                        .members
                        .iter()
                        .map(|&m| format!("{}|{}", items[m].path, items[m].payload))
                        .collect();
                    texts.sort();
                    texts
                })
                .collect()
        };
        assert_eq!(as_payloads(&found, &items), as_payloads(&again, &reversed));
        assert_eq!(groups(&items, &Options::default()), found);
    }

    #[test]
    fn threshold_decides_which_groups_are_candidates() {
        let item = |payload: &str, path: &str| Item {
            tag: "COMPLETION_DRIVE".into(),
            payload: payload.into(),
            path: path.into(),
            line: 1,
        };
        let items = [
            item("Assuming mobile breakpoint is 768px", "a.ts"),
            item("Assuming the mobile breakpoint is 768 px", "./a.ts"),
            item("Assuming 3 retries with exponential backoff", "b.ts"),
            item("Assuming 3 retries with exponential backoff", "c.ts"),
            item(
                "Assuming the client retries 3x with exponential backoff",
                "c.ts",
            ),
        ];
        let found = groups(&items, &Options::default());
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].members, [2, 3, 4]);
        assert!(found[0].candidate);
        assert_eq!(found[0].files, ["b.ts", "c.ts"]);
        assert_eq!(found[1].members, [0, 1]);
        assert!(!found[1].candidate);
        assert_eq!(found[1].files, ["a.ts"]);
        let two = Options {
            threshold: 2,
            ..Options::default()
        };
        assert!(groups(&items, &two).iter().all(|group| group.candidate));
        assert!(groups(&[], &Options::default()).is_empty());
        let empty = [
            item("", "a.ts"),
            item("  ", "a.ts"),
            item("Assuming that", "b.ts"),
            item("I assume", "c.ts"),
        ];
        assert!(groups(&empty, &Options::default()).is_empty());
    }

    #[test]
    fn tags_group_within_their_family_only() {
        let item = |tag: &str| Item {
            tag: tag.into(),
            payload: "Assuming JWT_SECRET in environment variables".into(),
            path: "src/a.ts".into(),
            line: 1,
        };
        let items = [
            item("#COMPLETION_DRIVE:"),
            item("CONTEXT_DEGRADED"),
            item("COMPLETION_DRIVE_INTEGRATION"),
            item("VERIFIED"),
            item("FILE_CREATED"),
            item("TEAM_GUESS"),
            item("team_guess"),
        ];
        let found = groups(&items, &Options::default());
        let members: Vec<&[usize]> = found.iter().map(|g| g.members.as_slice()).collect();
        assert_eq!(members, [&[0, 1, 2][..], &[5, 6][..]]);
    }

    #[test]
    fn paths_are_one_path_whatever_their_spelling() {
        for spelling in [
            "./src/a.ts",
            "src/a.ts",
            "src\\a.ts",
            "'src/a.ts'",
            "`./src/a.ts`,",
            "SRC/A.ts",
            "(src/a.ts).",
        ] {
            assert_eq!(
                normalise_path(spelling).as_deref(),
                Some("src/a.ts"),
                "{spelling}"
            );
        }
        assert_eq!(
            normalise_path("src/services/").as_deref(),
            Some("src/services")
        );
        assert_eq!(
            normalise_path("http://localhost:3000/").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(
            normalise_path(".env.example").as_deref(),
            Some(".env.example")
        );
        assert_eq!(normalise_path("/api/users").as_deref(), Some("/api/users"));
        assert_eq!(
            normalise_path("src//lib/a.ts").as_deref(),
            Some("src/lib/a.ts")
        );
        for prose in ["and/or", "success/error", "e.g.", "i.e.", "token", "768px"] {
            assert_eq!(normalise_path(prose), None, "{prose}");
        }
        assert_ne!(normalise_path("src/a.ts"), normalise_path("src/b.ts"));
    }

    #[test]
    fn numbers_are_one_number_whatever_their_spelling() {
        let number = |chunk: &str, next: &str| normalise_number(chunk, next);
        assert_eq!(number("768px", ""), ("768px".into(), false));
        assert_eq!(number("768", "px"), ("768px".into(), true));
        assert_eq!(number("768.0px", ""), ("768px".into(), false));
        assert_eq!(number("768.50", "PX"), ("768.5px".into(), true));
        assert_eq!(number("15", "minutes"), ("15min".into(), true));
        assert_eq!(number("15m", ""), ("15min".into(), false));
        assert_eq!(number("15-minute", ""), ("15min".into(), false));
        assert_eq!(number("1,000ms", ""), ("1000ms".into(), false));
        assert_eq!(number("007", "retries"), ("7".into(), false));
        assert_eq!(number("3x", ""), ("3".into(), false));
        assert_eq!(number("3", "times"), ("3".into(), true));
        assert_eq!(number("10MB", ""), ("10mb".into(), false));
        assert_eq!(number("80%", ""), ("80%".into(), false));
        assert_eq!(number("2024-01-31", ""), ("2024-01-31".into(), false));
        assert_eq!(number("1024x768", ""), ("1024x768".into(), false));
        assert_ne!(number("768px", "").0, number("1024px", "").0);
        assert_ne!(number("768px", "").0, number("768ms", "").0);
    }

    #[test]
    fn payloads_reduce_to_anchors_and_stemmed_content_words() {
        let reduced = normalise(
            "Assuming that the 'Mobile' breakpoints are 768 px in src\\styles\\layout.ts",
        );
        assert_eq!(
            reduced.anchors,
            BTreeSet::from(["768px".to_string(), "src/styles/layout.ts".to_string()])
        );
        assert_eq!(reduced.words, ["mobil", "breakpoint"]);

        // Filler of the method is dropped; abbreviations are spelled out before stemming.
        assert_eq!(
            normalise("I assume JWT_SECRET is in env vars").words,
            normalise("Assumed: JWT_SECRET in environment variables").words
        );
        assert_eq!(
            normalise("process.env.JWT_SECRET").anchors,
            BTreeSet::from(["JWT_SECRET".to_string()])
        );
        // Words with digits, language tags, object shapes and negation must match too.
        assert_eq!(
            normalise("max-width=768.0px, ~30s").anchors,
            BTreeSet::from(["768px".to_string(), "30s".to_string()])
        );
        assert_eq!(
            normalise("ISO-8601 dates").anchors,
            normalise("ISO 8601 dates").anchors
        );
        assert!(
            normalise("Assuming OAuth2 scopes")
                .anchors
                .contains("oauth2")
        );
        assert!(normalise("Assuming en-US locale").anchors.contains("en-us"));
        assert_eq!(
            normalise("returns { user, token }").anchors,
            normalise("returns {token,user}").anchors
        );
        assert!(
            normalise("the cache is not shared")
                .anchors
                .contains(NEGATED)
        );
        assert!(
            normalise("the cache isn't shared")
                .anchors
                .contains(NEGATED)
        );
        assert!(normalise("the cache is shared").anchors.is_empty());
        // Names: CamelCase and acronyms anywhere, capitalised words after the first.
        assert_eq!(
            normalise("Redis is behind LaunchDarkly and CORS for User").names,
            BTreeSet::from(["launchdarkly", "cors", "user"].map(String::from))
        );
    }

    #[test]
    fn a_label_is_one_payload_never_a_blend() {
        let item = |payload: &str| Item {
            tag: "COMPLETION_DRIVE".into(),
            payload: payload.into(),
            path: "src/a.ts".into(),
            line: 1,
        };
        let items = [
            item("  Assuming STRIPE_SECRET_KEY is set in the environment  "),
            item("STRIPE_SECRET_KEY assumed in env"),
            item("Assuming STRIPE_SECRET_KEY available as an env var"),
        ];
        let found = groups(&items, &Options::default());
        assert_eq!(found.len(), 1);
        assert!(
            items
                .iter()
                .any(|item| item.payload.trim() == found[0].label)
        );
    }

    /// Thousands of payloads go through (blocks larger than [`ALL_PAIRS_UP_TO`] compare only
    /// pairs sharing a rare word), and what was written alike is grouped alike.
    #[test]
    fn five_thousand_payloads_go_through() {
        let subjects = [
            "mobile breakpoint",
            "access token lifetime",
            "fetch timeout",
            "page size",
            "upload size limit",
            "retry count",
            "cache lifetime",
            "session idle timeout",
            "thumbnail width",
            "batch size",
        ];
        let units = ["px", " ms", " minutes", "", "MB", " seconds", "d", " items"];
        let phrasings = [
            "Assuming {s} is {n}",
            "Assuming the {s} is {n}",
            "{S} assumed to be {n}",
            "Assuming {s} of {n} here",
        ];
        let mut items = Vec::new();
        for n in 0..5_000usize {
            let subject = subjects[n % subjects.len()];
            let value = format!("{}{}", 10 + (n / 40) % 60, units[(n / 7) % units.len()]);
            let mut capitalised = subject.to_string();
            capitalised[..1].make_ascii_uppercase();
            let payload = phrasings[(n / 3) % phrasings.len()]
                .replace("{s}", subject)
                .replace("{S}", &capitalised)
                .replace("{n}", &value);
            items.push(Item {
                tag: "COMPLETION_DRIVE".into(),
                payload,
                path: format!("src/module{}/file{}.ts", n % 17, n % 5),
                line: n,
            });
        }
        // One block far larger than the all-pairs limit (no anchors at all), 400 distinct
        // payloads in it, each written several times.
        let owners = [
            "billing",
            "search",
            "catalog",
            "inventory",
            "shipping",
            "identity",
            "audit",
            "pricing",
            "reviews",
            "payments",
            "ledger",
            "notifications",
            "reporting",
            "media",
            "sessions",
            "profiles",
            "carts",
            "orders",
            "returns",
            "coupons",
        ];
        let kinds = [
            "user", "order", "product", "event", "account", "invoice", "image", "tenant",
        ];
        for n in 0..2_000usize {
            let owner = owners[n % owners.len()];
            let kind = kinds[(n / owners.len()) % kinds.len()];
            let subject = subjects[(n / 160) % 3];
            items.push(Item {
                tag: "CONTEXT_DEGRADED".into(),
                payload: format!("Assuming the {owner} service owns {kind} data and its {subject}"),
                path: format!("src/service{}.ts", n % 3),
                line: n,
            });
        }
        let started = std::time::Instant::now();
        let found = groups(&items, &Options::default());
        eprintln!(
            "recurring assumptions: {} payloads grouped in {:?}",
            items.len(),
            started.elapsed()
        );
        let mut seen = HashSet::new();
        for group in &found {
            assert!(group.members.len() >= 2);
            for &member in &group.members {
                assert!(seen.insert(member), "item {member} is in two groups");
            }
            let first = normalise(&items[group.members[0]].payload).anchors;
            for &member in &group.members {
                assert_eq!(normalise(&items[member].payload).anchors, first);
            }
        }
        // Identical payloads always land in one group.
        let mut by_payload: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, item) in items.iter().enumerate() {
            by_payload.entry(&item.payload).or_default().push(index);
        }
        let group_of: HashMap<usize, usize> = found
            .iter()
            .enumerate()
            .flat_map(|(g, group)| group.members.iter().map(move |&m| (m, g)))
            .collect();
        for same in by_payload.values().filter(|same| same.len() >= 2) {
            let first = group_of.get(&same[0]);
            assert!(first.is_some(), "{:?} recurs", items[same[0]].payload);
            assert!(same.iter().all(|m| group_of.get(m) == first));
        }
    }
}
