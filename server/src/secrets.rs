//! What tagls never shows: the lines of files that are secret by name
//! ([`is_secret_file`]) and token-shaped values in any other text
//! ([`redact`]).
//!
//! Text copied out of a file or out of the log into a hover or a message
//! goes through here first (docs/RELIABILITY.md, "Secrets"). The rules lean
//! towards hiding a value, but they are tuned on ordinary code too: this
//! text is shown all day, and a hover full of `[redacted]` paths and names
//! would teach people to ignore it.

use std::borrow::Cow;
use std::path::Path;
use std::sync::LazyLock;

use regex::{Captures, Regex, RegexSet};

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Whether a file is secret by its name (`name_or_rel_path` may be a bare
/// name or a path; only its last component counts), case-insensitively:
///
/// - env files: `.env`, `.env.*` (`.env.example`, `.env.sample` and
///   `.env.template` too: an example file often ends up holding real
///   values, and the rule is that no value from an env file is ever shown),
///   `*.env` (`app.env`, as `docker compose` names them) and `.envrc`;
/// - credential stores: `.npmrc`, `.pypirc`, `.netrc`, `_netrc`, `.pgpass`,
///   `.git-credentials`;
/// - keys: `*.pem`, `*.key`, `*.p12`, `*.pfx`, and SSH private keys
///   `id_rsa`, `id_dsa`, `id_ecdsa`, `id_ed25519` (with `_sk`, and with a
///   suffix such as `id_ed25519_work`). Their `.pub` halves are public and
///   are shown, and so is `id_card.ts`;
/// - `credentials`, `secrets` and `client_secret` data files: no extension
///   or a data one (`credentials.json`, `credentials-prod.yml`,
///   `secrets.toml`, `client_secret_123.json`). Source files
///   (`credentials.ts`) are code about credentials and are shown, with
///   [`redact`] applied.
///
/// The env files a workspace configures (`env-files`) are secret too; that
/// is the workspace's rule (`Workspace::is_env_path`), checked beside this.
pub fn is_secret_file(name_or_rel_path: &Path) -> bool {
    let Some(name) = name_or_rel_path.file_name() else {
        return false;
    };
    let name = name.to_string_lossy().to_ascii_lowercase();
    let (stem, ext) = match name.split_once('.') {
        // `.npmrc` has no stem and no extension: its name is the rule.
        Some(("", _)) => (name.as_str(), None),
        Some((stem, _)) => (stem, name.rsplit_once('.').map(|(_, e)| e)),
        None => (name.as_str(), None),
    };
    let env = name == ".env"
        || name.starts_with(".env.")
        || name == ".envrc"
        || (name.len() > 4 && name.ends_with(".env"));
    let store = matches!(
        name.as_str(),
        ".npmrc" | ".pypirc" | ".netrc" | "_netrc" | ".pgpass" | ".git-credentials"
    );
    let key = matches!(ext, Some("pem" | "key" | "p12" | "pfx")) || SSH_KEY.is_match(&name);
    let data = ext.is_none_or(|e| DATA_EXTENSIONS.contains(&e));
    let named = ["credentials", "secrets", "client_secret"].iter().any(|n| {
        stem.strip_prefix(n)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '_']))
    });
    env || store || key || (named && data)
}

/// Extensions of files that hold data rather than code.
const DATA_EXTENSIONS: &[&str] = &[
    "json",
    "yml",
    "yaml",
    "toml",
    "ini",
    "xml",
    "txt",
    "csv",
    "conf",
    "cfg",
    "properties",
    "env",
    "enc",
];

/// An SSH private key by its default name, without an extension.
static SSH_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?(?:[_-][a-z0-9]+)*$").expect("valid regex")
});

/// `text` with every token-shaped value replaced by [`REDACTED`]; borrowed
/// when there is none. What is replaced:
///
/// - private keys: `-----BEGIN ... PRIVATE KEY-----` to its `END` line, or
///   to the end of the line when the block is cut;
/// - the password of a URL (`postgres://app:[redacted]@db`);
/// - `.npmrc` credentials (`//registry.npmjs.org/:_authToken=...`,
///   `_auth=`, `_password=`);
/// - `Bearer` and `Basic` credentials;
/// - tokens by their prefix: AWS access key ids (`AKIA`, `ASIA`), GitHub
///   (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), Slack
///   (`xoxb-` ...), Stripe (`sk_live_`, `sk_test_`, `rk_live_`, `whsec_`),
///   npm (`npm_`), OpenAI and Anthropic (`sk-`), Google (`AIza`), and JWTs
///   (`eyJ...`.`eyJ...`.`...`);
/// - the value assigned to a key that names a secret (`password`, `passwd`,
///   `pass`, `passphrase`, `secret`, `token`, `api_key`, `apiKey`, `auth`,
///   `authorization`, `private_key`, `access_key`, `secret_key`,
///   `credentials`, at the end of the key: `DB_PASSWORD`, `clientSecret`,
///   `_authToken`) with `=`, `:`, `:=` or `=>`. A quoted value is always
///   redacted (but `""` and `"${VAR}"`). An unquoted one is left when it
///   reads as code: a name without digits (`token: string`,
///   `password = hashed`), a dotted path (`process.env.API_KEY`), a call
///   (`getToken()`), `$VAR`; except that a bare name assigned with `=` to
///   an `UPPER_CASE` key (`JWT_SECRET=changeme`) is an env value and is
///   redacted;
/// - long random strings: 32 or more characters of the base64 or hex
///   alphabet with a digit and a letter, that are hex, or that switch
///   between lower case, upper case and digits as random text does (paths
///   and identifiers switch far less).
///
/// Nothing is matched across a line break but a private key block, so
/// redacting a whole hover and redacting each of its lines agree.
///
/// Known gaps: a lower-case key with a bare word value (`password: hunter`)
/// reads as code and is shown; short random values under a key that names
/// no secret are shown.
pub fn redact(text: &str) -> Cow<'_, str> {
    if !ANY.is_match(text) {
        return Cow::Borrowed(text);
    }
    let mut out = Cow::Borrowed(text);
    for rule in RULES.iter() {
        if let Cow::Owned(s) = rule.re.replace_all(&out, |c: &Captures<'_>| (rule.with)(c)) {
            out = Cow::Owned(s);
        }
    }
    out
}

/// [`redact`] for text already owned: no copy when nothing is replaced.
pub fn redact_string(text: String) -> String {
    let replaced = match redact(&text) {
        Cow::Owned(r) => Some(r),
        Cow::Borrowed(_) => None,
    };
    replaced.unwrap_or(text)
}

/// One pattern and what its matches become.
struct Rule {
    re: Regex,
    with: fn(&Captures<'_>) -> String,
}

const PRIVATE_KEY: &str = r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:(?s:.*?)-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[^\n]*)";
const URL_PASSWORD: &str = r"\b([A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@\[\]]*:)([^\s@/?#]+)@";
const NPM_AUTH: &str =
    r#"(?m)((?:^|:)_(?:authToken|auth|password)[ \t]*=[ \t]*)([^\s$'"`][^\s'"`]*)"#;
const BEARER: &str = r"(?i)\b(bearer|basic)([ \t]+)([A-Za-z0-9._~+/=-]{8,})";
const PREFIXED: &str = concat!(
    r"\b(?:",
    r"(?:AKIA|ASIA)[A-Z0-9]{16}\b",
    r"|gh[pousr]_[A-Za-z0-9]{20,}",
    r"|github_pat_[A-Za-z0-9_]{20,}",
    r"|xox[abeoprs]-[A-Za-z0-9-]{10,}",
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}",
    r"|whsec_[A-Za-z0-9]{20,}",
    r"|npm_[A-Za-z0-9]{30,}",
    r"|sk-[A-Za-z0-9_-]{20,}",
    r"|AIza[0-9A-Za-z_-]{35}",
    r"|eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
    r")"
);
const ASSIGNMENT: &str = concat!(
    r"(?P<key>[A-Za-z0-9_.-]*?",
    r"(?i:password|passwd|pass|passphrase|secret|token|api[_-]?key|auth|authorization",
    r"|private[_-]?key|access[_-]?key|secret[_-]?key|credentials?))",
    r#"(?P<sep>["']?[ \t]*(?::=|=>|=|:)[ \t]*)"#,
    r#"(?P<val>"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|`[^`\n]*`"#,
    r#"|[^\s"'`,;(){}\[\]<>:=&*][^\s"'`,;(){}\[\]<>]*)(?P<call>\()?"#,
);
const RANDOM: &str = r"[A-Za-z0-9+/=_-]{32,}";

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |re: &str, with: fn(&Captures<'_>) -> String| Rule {
        re: Regex::new(re).expect("valid regex"),
        with,
    };
    vec![
        rule(PRIVATE_KEY, |_| REDACTED.to_owned()),
        rule(URL_PASSWORD, |c| format!("{}{REDACTED}@", &c[1])),
        rule(NPM_AUTH, |c| format!("{}{REDACTED}", &c[1])),
        rule(BEARER, |c| {
            if looks_random(&c[3]) {
                format!("{}{}{REDACTED}", &c[1], &c[2])
            } else {
                c[0].to_owned()
            }
        }),
        rule(PREFIXED, |_| REDACTED.to_owned()),
        rule(ASSIGNMENT, assignment),
        rule(RANDOM, |c| {
            if is_random(&c[0]) {
                REDACTED.to_owned()
            } else {
                c[0].to_owned()
            }
        }),
    ]
});

/// Whether any rule may apply: one pass over text that has nothing to hide.
static ANY: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        PRIVATE_KEY,
        URL_PASSWORD,
        NPM_AUTH,
        BEARER,
        PREFIXED,
        ASSIGNMENT,
        RANDOM,
    ])
    .expect("valid regexes")
});

/// `$VAR`, `${VAR}`, `${{ secrets.X }}`, `{{ var }}`: a reference to a
/// value kept elsewhere, not the value.
fn is_reference(v: &str) -> bool {
    v.starts_with('$') || v.starts_with("{{")
}

/// Words that stand where a value's type or a literal goes in code.
const CODE_WORDS: &[&str] = &[
    "true",
    "false",
    "null",
    "nil",
    "none",
    "undefined",
    "yes",
    "no",
    "on",
    "off",
    "string",
    "str",
    "number",
    "int",
    "bool",
    "boolean",
    "bytes",
    "any",
    "unknown",
    "object",
];

/// The replacement of a secret-looking key's assignment.
fn assignment(c: &Captures<'_>) -> String {
    let (key, sep, val) = (&c["key"], &c["sep"], &c["val"]);
    let call = c.name("call").map_or("", |m| m.as_str());
    let keep = || format!("{key}{sep}{val}{call}");
    let quote = val.chars().next().unwrap_or('"');
    if matches!(quote, '"' | '\'' | '`') {
        let inner = &val[1..val.len() - 1];
        if inner.is_empty() || is_reference(inner) {
            return keep();
        }
        return format!("{key}{sep}{quote}{REDACTED}{quote}");
    }
    let word = val.trim_end_matches('.');
    let is_name = |w: &str| {
        w.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    };
    let code = !call.is_empty()
        || is_reference(word)
        || CODE_WORDS.contains(&word.to_ascii_lowercase().as_str())
        || (word.contains('.') && word.split('.').all(is_name));
    let env_style = key.chars().any(|c| c.is_ascii_uppercase())
        && !key.chars().any(|c| c.is_ascii_lowercase())
        && sep.trim() == "=";
    let bare_name = is_name(word) && !word.chars().any(|c| c.is_ascii_digit());
    if code || (bare_name && !env_style) {
        keep()
    } else {
        format!("{key}{sep}{REDACTED}{call}")
    }
}

/// A credential after `Bearer`: not a plain word.
fn looks_random(v: &str) -> bool {
    let lower = v.chars().all(|c| c.is_ascii_lowercase());
    let capitalised = v.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && v.chars().skip(1).all(|c| c.is_ascii_lowercase());
    !(lower || capitalised)
}

/// Whether a run of the base64 alphabet of 32 or more characters reads as
/// random: it has a digit and a letter, and either is hex (a hash, a UUID,
/// a hex key) or switches between lower case, upper case and digits at
/// least 3 times in 10 neighbours. Random base64 switches about 6 times in
/// 10; `src/components/Header2/index` and `getUserServiceFactory2` about 2.
fn is_random(run: &str) -> bool {
    let alnum: Vec<u8> = run.bytes().filter(|b| b.is_ascii_alphanumeric()).collect();
    let has_digit = alnum.iter().any(u8::is_ascii_digit);
    let has_letter = alnum.iter().any(u8::is_ascii_alphabetic);
    if !has_digit || !has_letter {
        return false;
    }
    let hex = run.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    if hex && alnum.len() >= 32 {
        return true;
    }
    let class = |b: &u8| match b {
        b'a'..=b'z' => 0,
        b'A'..=b'Z' => 1,
        _ => 2,
    };
    let switches = alnum
        .windows(2)
        .filter(|w| class(&w[0]) != class(&w[1]))
        .count();
    alnum.len() >= 24 && switches * 10 >= (alnum.len() - 1) * 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_files_by_name() {
        for name in [
            ".env",
            ".env.local",
            ".env.production",
            ".env.example",
            ".env.sample",
            ".env.template",
            "app.env",
            "config/prod.ENV",
            ".envrc",
            ".npmrc",
            "packages/web/.npmrc",
            ".pypirc",
            ".netrc",
            "_netrc",
            ".pgpass",
            ".git-credentials",
            "server.pem",
            "certs/tls.key",
            "SERVER.PEM",
            "store.p12",
            "store.pfx",
            "id_rsa",
            "id_dsa",
            "id_ecdsa",
            "id_ed25519",
            "id_ed25519_sk",
            "id_ed25519_work",
            "home/.ssh/id_rsa-github",
            "credentials",
            "credentials.json",
            "credentials.yml",
            "credentials-prod.yaml",
            "config/credentials.yml.enc",
            ".aws/credentials",
            "secrets.toml",
            "secrets.env",
            "client_secret_1234.apps.googleusercontent.com.json",
        ] {
            assert!(is_secret_file(Path::new(name)), "{name} should be secret");
        }
        for name in [
            "id_rsa.pub",
            "id_ed25519.pub",
            "id_card.ts",
            "id_rsa_parser.rs.orig",
            "credentials.ts",
            "src/auth/credentials.py",
            "credentialsHelper.json",
            "secrets.rs",
            "tests/secrets.rs",
            "environment.ts",
            ".environment",
            "env.ts",
            ".env_loader.js",
            "src/services/user.service.ts",
            "README.md",
            "keys.ts",
            "package.json",
            "Cargo.lock",
            "",
            "/",
        ] {
            assert!(
                !is_secret_file(Path::new(name)),
                "{name} should not be secret"
            );
        }
    }

    /// Each planted value, in a line as it is written, and what must stay.
    #[test]
    fn planted_secrets_are_redacted() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
                "AKIAIOSFODNN7EXAMPLE",
                "aws_access_key_id = ",
            ),
            (
                "key: ASIAY34FZKBOKMUTVV7A,",
                "ASIAY34FZKBOKMUTVV7A",
                "key: ",
            ),
            (
                "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "wJalrXUtnFEMI",
                "aws_secret_access_key=",
            ),
            (
                "git clone https://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@github.com/o/r",
                "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",
                "git clone https://",
            ),
            (
                "GH=gho_16C7e42F292c6912E7710c838347Ae178B4a",
                "gho_16C7e42F292c6912E7710c838347Ae178B4a",
                "GH=",
            ),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP",
                "github_pat_11ABCDEFG",
                "",
            ),
            (
                "slack: xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
                "xoxb-123456789012",
                "slack: ",
            ),
            (
                "const stripe = \"sk_live_51HqLyjWDarjtT1zdp7dcXqNh\"",
                "sk_live_51HqLyjWDarjtT1zdp7dcXqNh",
                "const stripe = \"",
            ),
            (
                "stripe(rk_test_4eC39HqLyjWDarjtT1zdp7dc)",
                "rk_test_4eC39HqLyjWDarjtT1zdp7dc",
                "stripe(",
            ),
            (
                "//registry.npmjs.org/:_authToken=npm_aBcD1234eFgH5678iJkL9012mNoP3456qRsT",
                "npm_aBcD1234eFgH5678iJkL9012mNoP3456qRsT",
                "//registry.npmjs.org/:_authToken=",
            ),
            (
                "//npm.corp.example/:_authToken=plainword",
                "plainword",
                "//npm.corp.example/:_authToken=",
            ),
            ("_auth=dXNlcjpwYXNz", "dXNlcjpwYXNz", "_auth="),
            (
                "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "eyJhbGciOiJIUzI1NiJ9",
                "Authorization: Bearer ",
            ),
            (
                "token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc'",
                "eyJzdWIiOiIxIn0",
                "token = '",
            ),
            (
                "curl -H 'Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l' x",
                "YWxhZGRpbjpvcGVuc2VzYW1l",
                "Basic ",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END RSA PRIVATE KEY-----\nafter",
                "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo",
                "\nafter",
            ),
            (
                "\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n\",",
                "MIIEvQIBADANBg",
                "\"private_key\": \"",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAA",
                "b3BlbnNzaC1rZXktdjEAAAAA",
                "",
            ),
            (
                "DATABASE_URL=postgres://app:CANARYPASS2_9d1e@db.internal:5432/app",
                "CANARYPASS2_9d1e",
                "DATABASE_URL=postgres://app:",
            ),
            ("redis://:hunter2@cache:6379", "hunter2", "redis://:"),
            ("DB_PASSWORD=hunter2", "hunter2", "DB_PASSWORD="),
            ("JWT_SECRET=changeme", "changeme", "JWT_SECRET="),
            ("export SMTP_PASS=s3cret!", "s3cret!", "export SMTP_PASS="),
            (
                "password: \"correct horse\"",
                "correct horse",
                "password: \"",
            ),
            ("\"clientSecret\": \"abc\",", "abc", "\"clientSecret\": \""),
            ("apiKey := \"k-42\"", "k-42", "apiKey := \""),
            ("{ api_key => 'x' }", "'x'", "{ api_key => '"),
            ("db.password = P4ssw0rd;", "P4ssw0rd", "db.password = "),
            ("api-key: 9f8e7d6c", "9f8e7d6c", "api-key: "),
            (
                "OPENAI_API_KEY=sk-proj-abcdEFGH1234ijklMNOP5678qrst",
                "sk-proj-abcdEFGH1234",
                "OPENAI_API_KEY=",
            ),
            (
                "google: AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
                "AIzaSyDaGmWKa4JsXZ",
                "google: ",
            ),
            (
                "signing: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "signing: ",
            ),
            (
                "const k = \"Zx9qL2vB7nR4tY8wK3mP6sD1fG5hJ0aQ\"",
                "Zx9qL2vB7nR4tY8wK3mP6sD1fG5hJ0aQ",
                "const k = \"",
            ),
            (
                "hash 9b74c9897bac770ffc029102a200c5de9b74c9897bac770ffc029102a200c5de",
                "9b74c9897bac770ffc029102a200c5de",
                "hash ",
            ),
        ];
        for (line, secret, kept) in cases {
            let out = redact(line);
            assert!(!out.contains(secret), "{line:?} became {out:?}");
            assert!(out.contains(REDACTED), "{line:?} became {out:?}");
            assert!(out.contains(kept), "{line:?} became {out:?}, lost {kept:?}");
            // Redacting twice changes nothing more.
            assert_eq!(redact(&out), out, "{line:?}");
        }
    }

    /// Ordinary code, paths, prose and tagls's own messages are left alone.
    #[test]
    fn ordinary_text_is_left_alone() {
        for line in [
            "src/services/user.service.ts",
            "src/components/dashboard/widgets/Header2Component/index.tsx",
            "packages/api/src/middleware/authentication/validateSessionToken.ts",
            "const key = process.env.API_KEY",
            "const apiKey = process.env.API_KEY;",
            "const token = req.headers.authorization",
            "let password = hashedPassword",
            "token: string | null",
            "def login(password: str, token: Optional[str] = None):",
            "auth: AuthService,",
            "const secret = getSecret()",
            "apiKey: config.stripe.apiKey,",
            "if (token === undefined) return",
            "use crate::token::Token;",
            "fn parse(token: &str) -> Token",
            "maxTokens: 4096",
            "tokenCount = 12",
            "password_min_length = 8",
            "requireAuth: true",
            "author: \"Jane\"",
            "DATABASE_URL",
            "process.env.DATABASE_URL",
            "os.environ[\"DATABASE_URL\"]",
            "// #COMPLETION_DRIVE_INTEGRATION: Assuming API_KEY in environment variables",
            "#COMPLETION_DRIVE_INTEGRATION_WITH_A_VERY_LONG_NAME_INDEED",
            "#FILE_MODIFIED: src/api/auth.ts",
            "Lines affected: 8, 102-115",
            "environment variable JWT_SECRET: it is not in .env.example",
            "**Verification** `grep -r \"API_KEY\" .`",
            "grep found no \"REDIS_URL\" in .env.example",
            "- `src/api/auth.ts` line 2: `const s = process.env.JWT_SECRET`",
            "https://github.com/owner/repo/blob/main/src/index.ts",
            "https://user@example.com/path",
            "http://localhost:3000/api/login",
            "Send the Bearer token in the header; Basic authentication is off.",
            "TOKEN=${GITHUB_TOKEN}",
            "password: \"\"",
            "token: \"${{ secrets.NPM_TOKEN }}\"",
            "test_utf16_positions_under_emoji_anchors_and_more",
            "SOME_VERY_LONG_CONSTANT_NAME_FOR_THE_CONFIG_V2",
            "------------------------------------------------",
            "import { UserService } from '../services/user'",
            "npm_config_registry npm_package_version",
            "task-sk-queue id_card.ts",
            "日本語 🎉 𝄞 token: ok",
        ] {
            assert_eq!(redact(line), line, "{line:?} was changed");
        }
    }

    #[test]
    fn only_the_value_goes_and_text_around_stays() {
        assert_eq!(
            redact("a DB_PASSWORD=hunter2 b, then api_key: \"xyz\" c"),
            "a DB_PASSWORD=[redacted] b, then api_key: \"[redacted]\" c"
        );
        assert_eq!(
            redact("postgres://app:pw1@db/x and postgres://db/y"),
            "postgres://app:[redacted]@db/x and postgres://db/y"
        );
        assert_eq!(
            redact("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\nnext line"),
            "[redacted]\nnext line"
        );
        assert!(matches!(redact("nothing to hide"), Cow::Borrowed(_)));
        // A key at the end of one line takes no value from the next.
        assert_eq!(redact("password =\n- next"), "password =\n- next");
        assert_eq!(
            redact_string("token: \"x1\"".into()),
            "token: \"[redacted]\""
        );
    }
}
