//! Splitting a recipe as a shell would: commands separated by `&&`, `;` or
//! a line break, each a pipeline of commands separated by `|`, each a list
//! of words. Quotes and backslashes are removed; what a shell would expand
//! as a glob (`*`, `?`, `[` outside quotes) is kept as a pattern beside the
//! word. Everything else a shell would interpret (`||`, `&`, redirections,
//! `$`, backquotes, parentheses, brace expansion, `~`) is refused with the
//! reason.

/// A word of a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Word {
    /// The word as the command receives it when it is not expanded.
    pub text: String,
    /// A glob pattern (quoted characters escaped with `\`) when the word
    /// has a glob character outside quotes.
    pub glob: Option<String>,
}

impl Word {
    #[cfg(test)]
    pub fn plain(text: &str) -> Word {
        Word {
            text: text.to_owned(),
            glob: None,
        }
    }
}

/// A command of a recipe: one pipeline, and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Pipeline {
    /// Its stages, each a list of words, never empty.
    pub stages: Vec<Vec<Word>>,
    /// The pipeline as written in the recipe, trimmed.
    pub written: String,
}

/// Splits a recipe; `Err` with the reason when it uses shell syntax that
/// tagls does not evaluate.
pub(super) fn split(recipe: &str) -> Result<Vec<Pipeline>, &'static str> {
    let mut out = Vec::new();
    let mut stages: Vec<Vec<Word>> = Vec::new();
    let mut words: Vec<Word> = Vec::new();
    let mut cur = WordBuf::default();
    let mut start = 0usize;
    let mut chars = recipe.char_indices().peekable();
    // Ends the current pipeline at byte `end`.
    fn finish(
        recipe: &str,
        start: usize,
        end: usize,
        stages: &mut Vec<Vec<Word>>,
        words: &mut Vec<Word>,
        out: &mut Vec<Pipeline>,
    ) -> Result<(), &'static str> {
        if !words.is_empty() {
            stages.push(std::mem::take(words));
        } else if !stages.is_empty() {
            return Err("a pipe has no command after it");
        }
        if !stages.is_empty() {
            out.push(Pipeline {
                stages: std::mem::take(stages),
                written: recipe[start..end].trim().to_owned(),
            });
        }
        Ok(())
    }
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => {
                cur.started = true;
                loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, c)) => cur.quoted(c),
                        None => return Err("a quote is not closed"),
                    }
                }
            }
            '"' => {
                cur.started = true;
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '$' | '`')) => {
                            return Err("it uses variables or command substitution");
                        }
                        Some((_, '\\')) => match chars.next() {
                            Some((_, e @ ('"' | '\\' | '$' | '`'))) => cur.quoted(e),
                            Some((_, '\n')) => {}
                            Some((_, e)) => {
                                cur.quoted('\\');
                                cur.quoted(e);
                            }
                            None => return Err("a quote is not closed"),
                        },
                        Some((_, c)) => cur.quoted(c),
                        None => return Err("a quote is not closed"),
                    }
                }
            }
            '\\' => match chars.next() {
                Some((_, '\n')) => {}
                Some((_, e)) => {
                    cur.started = true;
                    cur.quoted(e);
                }
                None => return Err("it ends with a backslash"),
            },
            ' ' | '\t' | '\r' => cur.end(&mut words)?,
            '\n' | ';' => {
                cur.end(&mut words)?;
                finish(recipe, start, i, &mut stages, &mut words, &mut out)?;
                start = i + 1;
            }
            '&' => {
                if chars.peek().map(|(_, n)| *n) != Some('&') {
                    return Err("it runs a command in the background or redirects output (`&`)");
                }
                chars.next();
                cur.end(&mut words)?;
                if words.is_empty() {
                    return Err("`&&` has no command before it");
                }
                finish(recipe, start, i, &mut stages, &mut words, &mut out)?;
                start = i + 2;
            }
            '|' => {
                if chars.peek().map(|(_, n)| *n) == Some('|') {
                    return Err("it uses `||`");
                }
                cur.end(&mut words)?;
                if words.is_empty() {
                    return Err("a pipe has no command before it");
                }
                stages.push(std::mem::take(&mut words));
            }
            '<' | '>' => return Err("it redirects input or output"),
            '$' | '`' => return Err("it uses variables or command substitution"),
            '(' | ')' => return Err("it uses a subshell or parentheses"),
            '~' if !cur.started => return Err("it names a home directory (`~`)"),
            '#' if !cur.started => {
                // A comment runs to the end of the line, which ends the
                // command.
                let end = chars
                    .clone()
                    .find(|(_, c)| *c == '\n')
                    .map_or(recipe.len(), |(nl, _)| nl);
                while chars.next_if(|(j, _)| *j < end).is_some() {}
                cur.end(&mut words)?;
                finish(recipe, start, i, &mut stages, &mut words, &mut out)?;
                start = end;
            }
            '*' | '?' | '[' => {
                cur.started = true;
                cur.glob_char(c);
            }
            '{' | '}' | ',' => {
                cur.started = true;
                cur.brace_char(c);
            }
            c => {
                cur.started = true;
                cur.plain(c);
            }
        }
    }
    cur.end(&mut words)?;
    finish(
        recipe,
        start,
        recipe.len(),
        &mut stages,
        &mut words,
        &mut out,
    )?;
    Ok(out)
}

#[derive(Default)]
struct WordBuf {
    text: String,
    pattern: String,
    started: bool,
    glob: bool,
    /// An unquoted `{` was seen, and then an unquoted `,`: brace expansion.
    brace_open: bool,
    braces: bool,
    last_unquoted_dot: bool,
}

impl WordBuf {
    fn quoted(&mut self, c: char) {
        self.text.push(c);
        if matches!(
            c,
            '*' | '?' | '[' | ']' | '{' | '}' | ',' | '\\' | '!' | '-' | '^'
        ) {
            self.pattern.push('\\');
        }
        self.pattern.push(c);
        self.last_unquoted_dot = false;
    }

    fn plain(&mut self, c: char) {
        self.text.push(c);
        self.pattern.push(c);
        if c == '.' && self.last_unquoted_dot && self.brace_open {
            self.braces = true;
        }
        self.last_unquoted_dot = c == '.';
    }

    fn glob_char(&mut self, c: char) {
        self.glob = true;
        self.text.push(c);
        self.pattern.push(c);
        self.last_unquoted_dot = false;
    }

    fn brace_char(&mut self, c: char) {
        match c {
            '{' => self.brace_open = true,
            ',' if self.brace_open => self.braces = true,
            _ => {}
        }
        self.text.push(c);
        // Braces are alternation in globset; a shell's glob has none.
        self.pattern.push('\\');
        self.pattern.push(c);
        self.last_unquoted_dot = false;
    }

    fn end(&mut self, words: &mut Vec<Word>) -> Result<(), &'static str> {
        let buf = std::mem::take(self);
        if buf.braces {
            return Err("it uses brace expansion");
        }
        if buf.started {
            words.push(Word {
                glob: buf.glob.then_some(buf.pattern),
                text: buf.text,
            });
        }
        Ok(())
    }
}
