//! A fast path for the plain YAML that policies and cases are written in: the same events,
//! with the same spans, as saphyr-parser gives, or `None` to send the whole text to
//! saphyr-parser instead.
//!
//! saphyr-parser reads the input a character at a time through a general state machine and
//! allocates a `String` for every plain scalar; over half of a parse went there
//! (docs/benchmarks.md, "Parse"). This works on the bytes and borrows every scalar from the
//! input. It handles only what is common in policies: block mappings and block sequences
//! (nested, or compact as in `- key: value`), single-line flow sequences and flow mappings,
//! plain scalars and single-line quoted scalars without escapes, comments and blank lines.
//! For anything else (anchors, aliases, tags, block scalars, multi-line scalars, document
//! markers, directives, tabs, carriage returns, control characters, a byte order mark,
//! escapes, empty entries, odd indentation, any syntax error) it gives up before any event
//! is used, so what saphyr would have said, errors included, is what the user sees. A unit
//! test holds it to saphyr-parser's events on every YAML file of the repository, on
//! mutations of them, and on generated documents.

use saphyr_parser::{Event, Marker, ScalarStyle, Span};
use std::borrow::Cow;
use std::cell::Cell;

/// Deeper nesting goes to saphyr, whose events then meet the depth limit of `load`; this
/// parser recurses per level, so it must stop well before the stack does.
const MAX_NESTING: usize = super::MAX_DEPTH + 2;

/// saphyr rejects a simple key longer than 1024 characters; stay clear of the limit.
const MAX_KEY_LEN: usize = 1000;

/// The events of `text` as saphyr-parser would give them, or `None` when `text` uses
/// anything this fast path does not handle.
pub(crate) fn events(text: &str) -> Option<Vec<(Event<'_>, Span)>> {
    // No tab, carriage return, control character, byte order mark or Unicode line
    // separator, whose handling is saphyr's business. Other characters outside ASCII only
    // make character indices differ from byte offsets.
    let ascii = text.is_ascii();
    let ordinary = |c: char| {
        c == '\n'
            || (' '..='~').contains(&c)
            || (c > '\u{9f}'
                && !matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ))
    };
    if ascii {
        if !text
            .bytes()
            .all(|b| b == b'\n' || (b' '..=b'~').contains(&b))
        {
            return None;
        }
    } else if !text.chars().all(ordinary) {
        return None;
    }
    // Without a final line feed, saphyr ends the collections deeper than the last line's
    // spaces or comment at that line's end and the others on the line after; only a last
    // line with content (which no open collection is deeper than) is simple.
    let last_line = text
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .trim_start_matches(' ');
    if !text.is_empty()
        && !text.ends_with('\n')
        && (last_line.is_empty() || last_line.starts_with('#'))
    {
        return None;
    }
    let mut parser = Fast {
        text,
        bytes: text.as_bytes(),
        ascii,
        pos: 0,
        line: 1,
        line_start: 0,
        line_start_index: 0,
        last_marker: Cell::new((0, 0)),
        depth: 0,
        flow_depth: 0,
        events: Vec::with_capacity(text.len() / 8),
    };
    parser.document()?;
    Some(parser.events)
}

/// How many characters UTF-8 `bytes` hold (those that do not continue a character).
fn chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

struct Fast<'i> {
    text: &'i str,
    bytes: &'i [u8],
    /// The byte (and so character) offset being read.
    pos: usize,
    /// Whether the text is ASCII, so that a byte offset is also a character index.
    ascii: bool,
    /// The line of `pos`, from 1, the byte offset that line starts at and its character
    /// index.
    line: usize,
    line_start: usize,
    line_start_index: usize,
    /// The byte offset and column of the last marker made on a text that is not ASCII.
    last_marker: Cell<(usize, usize)>,
    /// Collections open around `pos`, and how many of them are flow collections.
    depth: usize,
    flow_depth: usize,
    events: Vec<(Event<'i>, Span)>,
}

/// Where a mapping's value is read from: its own line (`key: value`) or the lines below.
enum Value {
    Inline,
    Below,
}

impl<'i> Fast<'i> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    fn here(&self) -> Option<u8> {
        self.byte(self.pos)
    }

    /// The marker of `at`, which must be on the current line (or end the text).
    fn marker(&self, at: usize) -> Marker {
        if self.ascii {
            return Marker::new(at, self.line, at - self.line_start);
        }
        // Count from the last marker of the line, so a long line with many tokens is not
        // counted over and over (markers are asked for in order).
        let (mut from, mut col) = self.last_marker.get();
        if from < self.line_start || from > at {
            (from, col) = (self.line_start, 0);
        }
        col += chars(self.bytes.get(from..at).unwrap_or_default());
        self.last_marker.set((at, col));
        Marker::new(self.line_start_index + col, self.line, col)
    }

    fn push(&mut self, event: Event<'i>, start: usize, end: usize) {
        let span = Span::new(self.marker(start), self.marker(end));
        self.events.push((event, span));
    }

    /// A zero-width event at `pos`, as saphyr gives block collections' starts and ends.
    fn push_here(&mut self, event: Event<'i>) {
        self.push(event, self.pos, self.pos);
    }

    /// What saphyr skips after a flow indicator or a quoted scalar: spaces, and a comment
    /// after them (to the line's end). A comment without a space before it gives up.
    fn skip_trailing(&mut self) -> Option<()> {
        let before = self.pos;
        self.skip_spaces();
        if self.here() == Some(b'#') {
            if self.pos == before {
                return None;
            }
            while !matches!(self.here(), Some(b'\n') | None) {
                self.pos += 1;
            }
        }
        Some(())
    }

    fn skip_spaces(&mut self) {
        while self.here() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// The rest of a line after its content: spaces, then a comment after a space, then the
    /// line feed (or the end of the text). Anything else gives up.
    fn end_line(&mut self) -> Option<()> {
        self.skip_spaces();
        if self.here() == Some(b'#') {
            if self.pos != self.line_start && self.byte(self.pos - 1) != Some(b' ') {
                return None;
            }
            while !matches!(self.here(), Some(b'\n') | None) {
                self.pos += 1;
            }
        }
        match self.here() {
            Some(b'\n') => {
                self.pos += 1;
                self.line += 1;
                if !self.ascii {
                    let line = self
                        .bytes
                        .get(self.line_start..self.pos)
                        .unwrap_or_default();
                    self.line_start_index += chars(line);
                }
                self.line_start = self.pos;
                Some(())
            }
            None => Some(()),
            Some(_) => None,
        }
    }

    /// Skips blank and comment lines from the start of a line, stopping on the first
    /// character of the next line with content: `Some(its column)`, or `None` at the end.
    fn next_content(&mut self) -> Option<Option<usize>> {
        loop {
            self.skip_spaces();
            match self.here() {
                None => return Some(None),
                Some(b'\n' | b'#') => self.end_line()?,
                Some(_) => {
                    let col = self.pos - self.line_start;
                    let rest = self.bytes.get(self.pos..).unwrap_or_default();
                    // Document markers and directives are saphyr's business.
                    if col == 0
                        && (rest.starts_with(b"---")
                            || rest.starts_with(b"...")
                            || rest.first() == Some(&b'%'))
                    {
                        return None;
                    }
                    return Some(Some(col));
                }
            }
        }
    }

    /// Where a text without a final line feed ends, saphyr counts one more line.
    fn end_marker(&self) -> Marker {
        let line = if self.pos == self.line_start {
            self.line
        } else {
            self.line + 1
        };
        let index = if self.ascii {
            self.bytes.len()
        } else {
            self.line_start_index + chars(self.bytes.get(self.line_start..).unwrap_or_default())
        };
        Marker::new(index, line, 0)
    }

    fn push_at_end(&mut self, event: Event<'i>) {
        let end = self.end_marker();
        self.events.push((event, Span::new(end, end)));
    }

    fn document(&mut self) -> Option<()> {
        self.push_here(Event::StreamStart);
        let indent = self.next_content()??;
        self.push_here(Event::DocumentStart(false));
        self.block_node(indent)?;
        if self.next_content()?.is_some() {
            return None;
        }
        self.push_at_end(Event::DocumentEnd);
        self.push_at_end(Event::StreamEnd);
        Some(())
    }

    /// Whether a block sequence entry (`-` then a space or the end of the line) starts here.
    fn at_entry(&self) -> bool {
        self.here() == Some(b'-') && matches!(self.byte(self.pos + 1), Some(b' ' | b'\n') | None)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_NESTING).then_some(())
    }

    /// A mapping or sequence starting at `pos`, column `indent` (a scalar alone on its line
    /// gives up). On return `pos` is on the next line with content, or at the end.
    fn block_node(&mut self, indent: usize) -> Option<()> {
        if self.at_entry() {
            self.block_sequence(indent)
        } else if self.key_end(self.pos).is_some() {
            self.block_mapping(indent)
        } else {
            None
        }
    }

    fn block_sequence(&mut self, indent: usize) -> Option<()> {
        self.enter()?;
        self.push_here(Event::SequenceStart(0, None));
        loop {
            self.pos += 1; // the `-`
            self.skip_spaces();
            let next = if matches!(self.here(), Some(b'\n' | b'#') | None) {
                self.end_line()?;
                match self.next_content()? {
                    Some(col) if col > indent => {
                        self.block_node(col)?;
                        self.current_column()
                    }
                    // An empty entry.
                    _ => return None,
                }
            } else {
                let col = self.pos - self.line_start;
                if self.at_entry() {
                    self.block_sequence(col)?;
                    self.current_column()
                } else if self.key_end(self.pos).is_some() {
                    self.block_mapping(col)?;
                    self.current_column()
                } else {
                    self.flow_node()?;
                    self.end_line()?;
                    self.next_content()?
                }
            };
            match next {
                Some(col) if col == indent && self.at_entry() => {}
                Some(col) if col >= indent => return None,
                _ => break,
            }
        }
        self.end_block(Event::SequenceEnd);
        Some(())
    }

    fn block_mapping(&mut self, indent: usize) -> Option<()> {
        self.enter()?;
        self.push_here(Event::MappingStart(0, None));
        loop {
            let colon = self.key_end(self.pos)?;
            self.block_key(colon)?;
            let colon_mark = self.marker(colon);
            self.pos += 1; // the `:`
            self.skip_spaces();
            let value = if matches!(self.here(), Some(b'\n' | b'#') | None) {
                Value::Below
            } else {
                Value::Inline
            };
            let next = match value {
                Value::Inline => {
                    if self.at_entry() {
                        return None;
                    }
                    self.flow_node()?;
                    self.end_line()?;
                    self.next_content()?
                }
                Value::Below => {
                    self.end_line()?;
                    match self.next_content()? {
                        Some(col) if col > indent => {
                            self.block_node(col)?;
                            self.current_column()
                        }
                        // A sequence at the key's own indentation.
                        Some(col) if col == indent && self.at_entry() => return None,
                        next => {
                            // An empty value, where saphyr puts it: on the `:`.
                            let span = Span::new(colon_mark, colon_mark);
                            let empty =
                                Event::Scalar(Cow::Borrowed(""), ScalarStyle::Plain, 0, None);
                            self.events.push((empty, span));
                            next
                        }
                    }
                }
            };
            match next {
                Some(col) if col == indent && !self.at_entry() => {}
                Some(col) if col >= indent => return None,
                _ => break,
            }
        }
        self.end_block(Event::MappingEnd);
        Some(())
    }

    /// The key from `pos` to its `:` at `colon`, as [`Fast::key_end`] found it (a quoted
    /// key's span then has no spaces or comment to take).
    fn block_key(&mut self, colon: usize) -> Option<()> {
        let start = self.pos;
        let (style, value) = match self.here()? {
            b'"' => (
                ScalarStyle::DoubleQuoted,
                self.text.get(start + 1..colon - 1)?,
            ),
            b'\'' => (
                ScalarStyle::SingleQuoted,
                self.text.get(start + 1..colon - 1)?,
            ),
            _ => (ScalarStyle::Plain, self.text.get(start..colon)?),
        };
        self.pos = colon;
        self.push(
            Event::Scalar(Cow::Borrowed(value), style, 0, None),
            start,
            colon,
        );
        Some(())
    }

    /// The column of `pos`, which a finished block node leaves on the next line with
    /// content, or `None` at the end of the text.
    fn current_column(&self) -> Option<usize> {
        (self.pos < self.bytes.len()).then(|| self.pos - self.line_start)
    }

    /// A block collection ends where the next content starts (or at the end of the text).
    fn end_block(&mut self, event: Event<'i>) {
        self.depth -= 1;
        if self.pos < self.bytes.len() {
            self.push_here(event);
        } else {
            self.push_at_end(event);
        }
    }

    /// Where the `:` of a block mapping key starting at `at` is: the key is a plain scalar
    /// or a quoted one, on one line, followed by `:` and a space or the line's end.
    fn key_end(&self, at: usize) -> Option<usize> {
        let end = match self.byte(at)? {
            b'"' | b'\'' => self.quoted_end(at)?,
            _ => self.plain_end(at, false)?.0,
        };
        if end - at > MAX_KEY_LEN || self.byte(end) != Some(b':') {
            return None;
        }
        matches!(self.byte(end + 1), Some(b' ' | b'\n') | None).then_some(end)
    }

    /// Where a quoted scalar starting at `at` ends (past its closing quote), if it stays
    /// on its line and has no escapes (`\` in double quotes, `''` in single quotes).
    fn quoted_end(&self, at: usize) -> Option<usize> {
        let quote = self.byte(at)?;
        let mut i = at + 1;
        loop {
            match self.byte(i)? {
                b'\n' => return None,
                b'\\' if quote == b'"' => return None,
                b if b == quote => {
                    if quote == b'\'' && self.byte(i + 1) == Some(b'\'') {
                        return None;
                    }
                    return Some(i + 1);
                }
                _ => i += 1,
            }
        }
    }

    /// Where a plain scalar starting at `at` ends (its last character but trailing spaces)
    /// and whether it stopped before a `: ` (a key). In a flow collection it also stops at
    /// `,[]{}`, which in a block belong to the scalar.
    fn plain_end(&self, at: usize, flow: bool) -> Option<(usize, bool)> {
        let first = self.byte(at)?;
        let next = self.byte(at + 1);
        let safe_first = first.is_ascii_alphanumeric()
            || !first.is_ascii()
            || matches!(
                first,
                b'_' | b'.' | b'/' | b'~' | b'+' | b'$' | b'^' | b'(' | b'='
            )
            || (first == b'-' && next.is_some_and(|b| b.is_ascii_alphanumeric()));
        if !safe_first {
            return None;
        }
        let mut i = at + 1;
        let mut end = i;
        let key = loop {
            match self.byte(i) {
                None | Some(b'\n') => break false,
                Some(b':') => match self.byte(i + 1) {
                    None | Some(b' ' | b'\n') => break true,
                    Some(b',' | b'[' | b']' | b'{' | b'}') => return None,
                    Some(_) => {}
                },
                Some(b'#') if self.byte(i - 1) == Some(b' ') => break false,
                Some(b',' | b'[' | b']' | b'{' | b'}') if flow => break false,
                Some(_) => {}
            }
            if self.byte(i) != Some(b' ') {
                end = i + 1;
            }
            i += 1;
        };
        Some((end, key))
    }

    /// A scalar (plain, or quoted without escapes) at `pos`, read up to its end. A key
    /// stops before its `:`; a value that stops before a `: ` gives up.
    fn flow_scalar(&mut self, is_key: bool) -> Option<()> {
        let start = self.pos;
        let flow = self.in_flow();
        let (end, style, value) = match self.here()? {
            b'"' | b'\'' => {
                let end = self.quoted_end(start)?;
                let style = if self.here() == Some(b'"') {
                    ScalarStyle::DoubleQuoted
                } else {
                    ScalarStyle::SingleQuoted
                };
                (end, style, self.text.get(start + 1..end - 1)?)
            }
            _ => {
                let (end, key) = self.plain_end(start, flow)?;
                if key != is_key {
                    return None;
                }
                (end, ScalarStyle::Plain, self.text.get(start..end)?)
            }
        };
        self.pos = end;
        if style != ScalarStyle::Plain {
            // saphyr's quoted scalars take the spaces and comment after them.
            self.skip_trailing()?;
        }
        self.push(
            Event::Scalar(Cow::Borrowed(value), style, 0, None),
            start,
            self.pos,
        );
        Some(())
    }

    /// Inside a flow collection (they never span lines here).
    fn in_flow(&self) -> bool {
        self.flow_depth > 0
    }

    /// A flow collection or a scalar, on the current line.
    fn flow_node(&mut self) -> Option<()> {
        match self.here()? {
            b'[' => self.flow_sequence(),
            b'{' => self.flow_mapping(),
            _ => self.flow_scalar(false),
        }
    }

    /// A flow collection's `[` or `{`; like saphyr, its span takes the spaces (and comment)
    /// after it.
    fn open_flow(&mut self, event: Event<'i>) -> Option<()> {
        self.enter()?;
        self.flow_depth += 1;
        let start = self.pos;
        self.pos += 1;
        self.skip_trailing()?;
        self.push(event, start, self.pos);
        Some(())
    }

    /// A flow collection's `]` or `}`, with the spaces (and comment) after it.
    fn close_flow(&mut self, event: Event<'i>) -> Option<()> {
        let start = self.pos;
        self.pos += 1;
        self.skip_trailing()?;
        self.push(event, start, self.pos);
        self.depth -= 1;
        self.flow_depth -= 1;
        Some(())
    }

    /// After an entry of a flow collection: `true` at a `,` (skipped) before another
    /// entry, `false` at the collection's `close`; anything else (a trailing comma too)
    /// gives up.
    fn next_flow_entry(&mut self, close: u8) -> Option<bool> {
        self.skip_spaces();
        match self.here()? {
            b',' => {
                self.pos += 1;
                self.skip_spaces();
                (self.here() != Some(close)).then_some(true)
            }
            b if b == close => Some(false),
            _ => None,
        }
    }

    fn flow_sequence(&mut self) -> Option<()> {
        self.open_flow(Event::SequenceStart(0, None))?;
        if self.here() != Some(b']') {
            loop {
                self.flow_node()?;
                if !self.next_flow_entry(b']')? {
                    break;
                }
            }
        }
        self.close_flow(Event::SequenceEnd)?;
        Some(())
    }

    /// A flow mapping whose keys are scalars followed by `: ` and whose every key has a
    /// value.
    fn flow_mapping(&mut self) -> Option<()> {
        self.open_flow(Event::MappingStart(0, None))?;
        if self.here() != Some(b'}') {
            loop {
                if matches!(self.here()?, b'[' | b'{') {
                    return None;
                }
                let key_start = self.pos;
                self.flow_scalar(true)?;
                if self.pos - key_start > MAX_KEY_LEN
                    || self.here() != Some(b':')
                    || self.byte(self.pos + 1) != Some(b' ')
                {
                    return None;
                }
                self.pos += 1;
                self.skip_spaces();
                self.flow_node()?;
                if !self.next_flow_entry(b'}')? {
                    break;
                }
            }
        }
        self.close_flow(Event::MappingEnd)?;
        Some(())
    }
}

/// The fast path against saphyr-parser: wherever it answers, the same events with the same
/// spans, and saphyr-parser without an error.
#[cfg(test)]
mod tests;
