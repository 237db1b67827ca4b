//! Human review: labels on turns (`good`, `bad`, `hallucination`, `unsafe` or free text, with
//! an optional note) and marks on conversations, kept in an append-only JSONL file so they
//! survive restarts and can be shared. The file is read back whole at start; a line that
//! does not parse is skipped and counted, never fatal. Taking a step back (`u`) appends an
//! `undo` line naming the lines it cancels, so the file stays append-only and the undo
//! survives a restart.

use crate::model::query::{Field, Filterable};
use crate::model::record::Call;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The labels offered by the review key; anything else is kept as free text.
pub const LABELS: [&str; 4] = ["good", "bad", "hallucination", "unsafe"];

/// Labels that mean "do not learn from this answer" (weight 0 in chat exports).
pub const NEGATIVE_LABELS: [&str; 3] = ["bad", "hallucination", "unsafe"];

/// Longest label or note kept, in bytes.
const MAX_TEXT: usize = 4096;

/// Errors reading or appending the annotations file.
#[derive(Debug, thiserror::Error)]
pub enum AnnotationError {
    #[error("annotations file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("an annotation needs a call id or a conversation")]
    NoTarget,
}

/// What an annotation line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A label (and note) on a turn.
    Label,
    /// The conversation was marked for export.
    Mark,
    /// A previous mark was taken back.
    Unmark,
    /// An earlier line (named in [`Annotation::undoes`]) no longer counts.
    Undo,
}

/// Names the line an `undo` line cancels: its time and action, with the target fields of
/// the undo line itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UndoRef {
    pub at: String,
    pub action: Action,
}

/// One line of the annotations file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    /// Wall-clock time the annotation was made (RFC 3339).
    pub at: String,
    pub action: Action,
    /// The call (turn) labelled; for marks, a call of the conversation (its key may be
    /// derived and so not stable across runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who made it (`$USER`), so shared files stay readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// On an `undo` line: the line it cancels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<UndoRef>,
}

impl Annotation {
    /// True when the label means the answer should not be learned from.
    pub fn is_negative(&self) -> bool {
        self.label
            .as_deref()
            .is_some_and(|l| NEGATIVE_LABELS.contains(&l.to_ascii_lowercase().as_str()))
    }

    /// Whether `undo` names this line.
    fn is_undone_by(&self, undo: &Annotation) -> bool {
        undo.undoes
            .as_ref()
            .is_some_and(|r| r.at == self.at && r.action == self.action)
            && undo.call_id == self.call_id
            && undo.conversation == self.conversation
            && undo.label == self.label
    }
}

/// What `u` took back.
#[derive(Debug, Clone, PartialEq)]
pub struct Undone {
    /// The last line of the step (a label, a mark or an unmark).
    pub action: Action,
    pub conversation: Option<String>,
    pub label: Option<String>,
}

/// All annotations, indexed, with the file they are appended to.
#[derive(Debug, Clone, Default)]
pub struct Annotations {
    path: Option<PathBuf>,
    items: Vec<Annotation>,
    /// Per line: still in effect (not an undo line, not cancelled by one).
    live: Vec<bool>,
    /// The steps made in this session (a step is one or more consecutive lines), oldest
    /// first; `u` takes back the last.
    session: Vec<std::ops::Range<usize>>,
    by_call: BTreeMap<String, Vec<usize>>,
    by_conversation: BTreeMap<String, Vec<usize>>,
    marked_conversations: BTreeSet<String>,
    marked_calls: BTreeSet<String>,
    /// Lines of the file that did not parse.
    pub skipped_lines: u64,
    /// Where those lines were copied, so a fix by hand loses nothing.
    pub bad_lines_path: Option<PathBuf>,
    /// The file does not end in a newline (a torn last write): the next append starts a
    /// new line first, so it is not glued to the torn one.
    torn_end: bool,
}

impl Annotations {
    /// Annotations kept in memory only (nothing is written).
    pub fn in_memory() -> Annotations {
        Annotations::default()
    }

    /// Reads `path` (a missing file is empty) and appends new annotations to it.
    pub fn open(path: &Path) -> Result<Annotations, AnnotationError> {
        let mut a = Annotations {
            path: Some(path.to_path_buf()),
            ..Annotations::default()
        };
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(a),
            Err(source) => {
                return Err(AnnotationError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let io = |source| AnnotationError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut text = Vec::new();
        std::io::BufReader::new(file)
            .read_to_end(&mut text)
            .map_err(io)?;
        a.torn_end = text.last().is_some_and(|&b| b != b'\n');
        let mut bad = Vec::new();
        for line in text.split(|&b| b == b'\n') {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Annotation>(line) {
                Ok(x) => a.index(x),
                Err(_) => {
                    a.skipped_lines += 1;
                    bad.extend_from_slice(line);
                    bad.push(b'\n');
                }
            }
        }
        if !bad.is_empty() {
            let mut aside = path.as_os_str().to_owned();
            aside.push(".bad");
            let aside = PathBuf::from(aside);
            std::fs::write(&aside, &bad).map_err(|source| AnnotationError::Io {
                path: aside.clone(),
                source,
            })?;
            a.bad_lines_path = Some(aside);
        }
        Ok(a)
    }

    /// A one-line warning when lines of the file could not be read, naming where they were
    /// kept aside.
    pub fn warning(&self) -> Option<String> {
        let path = self.path.as_deref()?;
        (self.skipped_lines > 0).then(|| {
            format!(
                "{}: {} line(s) are not annotations and were ignored (copied to {})",
                path.display(),
                self.skipped_lines,
                self.bad_lines_path
                    .as_deref()
                    .map_or_else(|| "nowhere".into(), |p| p.display().to_string())
            )
        })
    }

    /// The file annotations are appended to, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Takes one line in: indexes it, or for an `undo` line cancels the newest live line
    /// it names and indexes again.
    fn index(&mut self, x: Annotation) {
        let i = self.items.len();
        if x.action == Action::Undo {
            let target = (0..i)
                .rev()
                .find(|&j| self.live[j] && self.items[j].is_undone_by(&x));
            self.items.push(x);
            self.live.push(false);
            if let Some(j) = target {
                self.live[j] = false;
                self.reindex();
            }
            return;
        }
        self.index_live(i, &x);
        self.items.push(x);
        self.live.push(true);
    }

    fn index_live(&mut self, i: usize, x: &Annotation) {
        match x.action {
            Action::Label => {
                if let Some(c) = &x.call_id {
                    self.by_call.entry(c.clone()).or_default().push(i);
                }
                if let Some(c) = &x.conversation {
                    self.by_conversation.entry(c.clone()).or_default().push(i);
                }
            }
            Action::Mark => {
                if let Some(c) = &x.conversation {
                    self.marked_conversations.insert(c.clone());
                }
                if let Some(c) = &x.call_id {
                    self.marked_calls.insert(c.clone());
                }
            }
            Action::Unmark => {
                if let Some(c) = &x.conversation {
                    self.marked_conversations.remove(c);
                }
                if let Some(c) = &x.call_id {
                    self.marked_calls.remove(c);
                }
            }
            Action::Undo => {}
        }
    }

    /// Rebuilds every index from the live lines, after one was cancelled.
    fn reindex(&mut self) {
        self.by_call.clear();
        self.by_conversation.clear();
        self.marked_conversations.clear();
        self.marked_calls.clear();
        let items = std::mem::take(&mut self.items);
        for (i, x) in items.iter().enumerate() {
            if self.live[i] {
                self.index_live(i, x);
            }
        }
        self.items = items;
    }

    /// Writes one line to the file (when there is one) and takes it in; returns its index.
    fn write_line(&mut self, x: Annotation) -> Result<usize, AnnotationError> {
        if let Some(path) = &self.path {
            let io = |source| AnnotationError::Io {
                path: path.clone(),
                source,
            };
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let mut line = Vec::new();
            if self.torn_end {
                line.push(b'\n');
            }
            line.extend(serde_json::to_vec(&x).map_err(|e| io(e.into()))?);
            line.push(b'\n');
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(io)?;
            f.write_all(&line).and_then(|_| f.flush()).map_err(io)?;
            self.torn_end = false;
        }
        let i = self.items.len();
        self.index(x);
        Ok(i)
    }

    /// Appends a line as a step of this session `u` can take back; `join` adds it to the
    /// previous step instead (one key press that wrote several lines).
    fn append(&mut self, x: Annotation, join: bool) -> Result<&Annotation, AnnotationError> {
        let i = self.write_line(x)?;
        match self.session.last_mut() {
            Some(step) if join && step.end == i => step.end = i + 1,
            _ => self.session.push(i..i + 1),
        }
        Ok(&self.items[i])
    }

    /// Labels a turn (`call_id`) and/or a conversation with `label` and an optional note.
    pub fn label(
        &mut self,
        call_id: Option<&str>,
        conversation: Option<&str>,
        label: &str,
        note: Option<&str>,
    ) -> Result<&Annotation, AnnotationError> {
        if call_id.is_none() && conversation.is_none() {
            return Err(AnnotationError::NoTarget);
        }
        self.append(
            Annotation {
                at: now(),
                action: Action::Label,
                call_id: call_id.map(String::from),
                conversation: conversation.map(String::from),
                label: Some(clip(label.trim())),
                note: note.map(|n| clip(n.trim())).filter(|n| !n.is_empty()),
                author: author(),
                undoes: None,
            },
            false,
        )
    }

    /// Marks a conversation (or takes the mark back); returns whether it is now marked.
    /// `call_id` is one of its calls, so the mark survives a derived conversation key.
    pub fn toggle_mark(
        &mut self,
        conversation: &str,
        call_id: Option<&str>,
    ) -> Result<bool, AnnotationError> {
        let on = !self.is_marked(conversation, call_id);
        self.append(mark_line(on, conversation, call_id), false)?;
        Ok(on)
    }

    /// Takes back every mark that makes the conversation count as marked: on its key
    /// (written with `call_id`) and on each of `turns` (its retained calls) marked on its
    /// own. One step for `u`.
    pub fn unmark<'t>(
        &mut self,
        conversation: &str,
        call_id: Option<&str>,
        turns: impl IntoIterator<Item = &'t str>,
    ) -> Result<(), AnnotationError> {
        let mut join = false;
        if self.marked_conversations.contains(conversation) {
            self.append(mark_line(false, conversation, call_id), join)?;
            join = true;
        }
        for t in turns {
            if self.marked_calls.contains(t) {
                self.append(mark_line(false, conversation, Some(t)), join)?;
                join = true;
            }
        }
        Ok(())
    }

    /// Takes back the last label, mark or unmark made in this session by appending an
    /// `undo` line for each line of that step; `None` when there is nothing left to undo.
    pub fn undo_last(&mut self) -> Result<Option<Undone>, AnnotationError> {
        let Some(step) = self.session.pop() else {
            return Ok(None);
        };
        let mut undone = None;
        for i in step.clone().rev() {
            let Some(x) = self.items.get(i).cloned() else {
                continue;
            };
            let line = Annotation {
                at: now(),
                action: Action::Undo,
                call_id: x.call_id.clone(),
                conversation: x.conversation.clone(),
                label: x.label.clone(),
                note: None,
                author: author(),
                undoes: Some(UndoRef {
                    at: x.at.clone(),
                    action: x.action,
                }),
            };
            if let Err(e) = self.write_line(line) {
                // The lines already cancelled stay cancelled; the rest stays a step.
                self.session.push(step.start..i + 1);
                return Err(e);
            }
            undone.get_or_insert(Undone {
                action: x.action,
                conversation: x.conversation,
                label: x.label,
            });
        }
        Ok(undone)
    }

    /// Labels in effect on one call, oldest first, with those on its conversation as a
    /// whole (made without a call).
    pub fn labels_of_call<'s>(
        &'s self,
        call_id: &str,
        conversation: Option<&str>,
    ) -> impl Iterator<Item = &'s str> + 's {
        let whole = conversation
            .and_then(|k| self.by_conversation.get(k))
            .into_iter()
            .flatten()
            .filter_map(|&i| self.items.get(i))
            .filter(|a| a.call_id.is_none());
        self.for_call(call_id)
            .chain(whole)
            .filter_map(|a| a.label.as_deref())
    }

    /// Labels in effect on a conversation (made on it from any of its turns), oldest first.
    pub fn labels_of_conversation<'s>(&'s self, key: &str) -> impl Iterator<Item = &'s str> + 's {
        self.for_conversation(key)
            .filter_map(|a| a.label.as_deref())
    }

    /// Whether the conversation (or the given call of it) is marked.
    pub fn is_marked(&self, conversation: &str, call_id: Option<&str>) -> bool {
        self.marked_conversations.contains(conversation)
            || call_id.is_some_and(|c| self.marked_calls.contains(c))
    }

    /// Whether a call is marked directly or carries a label.
    pub fn touches_call(&self, call_id: &str) -> bool {
        self.marked_calls.contains(call_id) || self.by_call.contains_key(call_id)
    }

    /// Labels on one call, oldest first.
    pub fn for_call(&self, call_id: &str) -> impl Iterator<Item = &Annotation> {
        self.by_call
            .get(call_id)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.items.get(i))
    }

    /// Every call carrying a label, by id, with the label line in effect (its latest).
    pub fn labelled_calls(&self) -> impl Iterator<Item = (&str, &Annotation)> {
        self.by_call.iter().filter_map(|(id, lines)| {
            let a = lines.last().and_then(|&i| self.items.get(i))?;
            Some((id.as_str(), a))
        })
    }

    /// Labels made on a conversation as a whole, oldest first.
    pub fn for_conversation(&self, key: &str) -> impl Iterator<Item = &Annotation> {
        self.by_conversation
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.items.get(i))
    }

    /// Every annotation line, oldest first, undo lines and the lines they cancel included.
    pub fn all(&self) -> &[Annotation] {
        &self.items
    }

    /// The lines in effect (not undone), oldest first.
    pub fn live(&self) -> impl Iterator<Item = &Annotation> {
        self.items
            .iter()
            .zip(&self.live)
            .filter_map(|(x, &live)| live.then_some(x))
    }

    /// Steps of this session `u` can still take back.
    pub fn undoable(&self) -> usize {
        self.session.len()
    }
}

/// A call as the query language sees it with its review labels joined (`label:bad`,
/// `has:label`); every other field is the call's own.
pub struct LabelledCall<'a> {
    pub call: &'a Call,
    /// The conversation key the call is stored under, for labels on the whole conversation.
    pub conversation: Option<&'a str>,
    pub annotations: &'a Annotations,
}

impl Filterable for LabelledCall<'_> {
    fn any_text(&self, field: &Field, pred: &mut dyn FnMut(&str) -> bool) -> bool {
        match field {
            Field::Label => self
                .annotations
                .labels_of_call(&self.call.id, self.conversation)
                .any(pred),
            f => self.call.any_text(f, pred),
        }
    }

    fn any_num(&self, field: &Field, pred: &mut dyn FnMut(f64) -> bool) -> bool {
        self.call.any_num(field, pred)
    }

    fn has(&self, field: &Field) -> bool {
        match field {
            Field::Label => self.any_text(field, &mut |_| true),
            f => self.call.has(f),
        }
    }

    fn full_text_contains(&self, needle: &str) -> bool {
        self.call.full_text_contains(needle)
    }
}

fn mark_line(on: bool, conversation: &str, call_id: Option<&str>) -> Annotation {
    Annotation {
        at: now(),
        action: if on { Action::Mark } else { Action::Unmark },
        call_id: call_id.map(String::from),
        conversation: Some(conversation.to_string()),
        label: None,
        note: None,
        author: author(),
        undoes: None,
    }
}

fn clip(s: &str) -> String {
    let mut end = s.len().min(MAX_TEXT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

fn now() -> String {
    format!("{:.3}", jiff::Timestamp::now())
}

fn author() -> Option<String> {
    std::env::var("USER").ok().filter(|u| !u.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_skipped_and_marks_toggle() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/ann.jsonl");
        let mut a = Annotations::open(&p).unwrap();
        a.label(
            Some("c1"),
            Some("conv"),
            "hallucination",
            Some(" made up a refund "),
        )
        .unwrap();
        assert!(a.toggle_mark("conv", Some("c1")).unwrap());
        assert!(!a.toggle_mark("conv", Some("c1")).unwrap());
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"not json\n{\"torn")
            .unwrap();
        let mut b = Annotations::open(&p).unwrap();
        assert_eq!(b.skipped_lines, 2);
        assert_eq!(b.all().len(), 3);
        let aside = b.bad_lines_path.clone().unwrap();
        assert_eq!(std::fs::read(&aside).unwrap(), b"not json\n{\"torn\n");
        assert!(b.warning().unwrap().contains("2 line(s)"));
        // The next label starts a new line after the torn one, so it survives a reopen.
        b.label(Some("c2"), None, "good", None).unwrap();
        let c = Annotations::open(&p).unwrap();
        assert_eq!((c.all().len(), c.skipped_lines), (4, 2));
        assert!(!b.is_marked("conv", Some("c1")));
        let l = b.for_call("c1").next().unwrap();
        assert!(l.is_negative());
        assert_eq!(l.note.as_deref(), Some("made up a refund"));
        assert!(a.label(None, None, "x", None).is_err());
    }

    #[test]
    fn undo_lines_cancel_a_whole_step_and_are_honoured_on_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ann.jsonl");
        let mut a = Annotations::open(&p).unwrap();
        a.toggle_mark("conv", Some("t1")).unwrap();
        a.toggle_mark("other", Some("t2")).unwrap();
        a.label(Some("t2"), Some("conv"), "bad", Some("why"))
            .unwrap();
        // Unmarking the conversation writes two lines (its key, and t2 marked on its own
        // under another key): one step.
        a.unmark("conv", Some("t1"), ["t1", "t2", "t3"]).unwrap();
        assert!(!a.is_marked("conv", Some("t1")) && !a.is_marked("x", Some("t2")));
        assert_eq!((a.undoable(), a.all().len()), (4, 5));
        let undone = a.undo_last().unwrap().unwrap();
        assert_eq!(undone.action, Action::Unmark);
        assert!(a.is_marked("conv", None) && a.is_marked("x", Some("t2")));
        assert_eq!(
            a.undo_last().unwrap().unwrap().label.as_deref(),
            Some("bad")
        );
        let call = Call {
            id: "t2".into(),
            ..Call::default()
        };
        let labelled = LabelledCall {
            call: &call,
            conversation: Some("conv"),
            annotations: &a,
        };
        assert!(!labelled.has(&Field::Label));
        let b = Annotations::open(&p).unwrap();
        assert!(b.is_marked("conv", None) && b.is_marked("x", Some("t2")));
        assert_eq!(b.for_call("t2").count(), 0);
        assert_eq!(b.live().count(), 2, "the two marks");
        assert_eq!(b.undoable(), 0, "a new session starts with nothing to undo");
        let mut c = b.clone();
        c.label(Some("t1"), None, "good", None).unwrap();
        let labelled = LabelledCall {
            call: &Call {
                id: "t1".into(),
                ..Call::default()
            },
            conversation: None,
            annotations: &c,
        };
        assert!(labelled.has(&Field::Label));
        assert!(labelled.any_text(&Field::Label, &mut |l| l == "good"));
    }
}
