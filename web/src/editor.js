// The policy editor: CodeMirror 6 with YAML highlighting and signoff's diagnostics as
// underlines and gutter markers. Diagnostics come from the page (which lints on every
// change through the wasm simulator), not from CodeMirror's own delayed linter.
import { EditorView, basicSetup } from "codemirror";
import { EditorState } from "@codemirror/state";
import { yaml } from "@codemirror/lang-yaml";
import { lintGutter, setDiagnostics } from "@codemirror/lint";

export function createEditor(parent, text, onChange) {
  return new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        basicSetup,
        yaml(),
        lintGutter(),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ "aria-label": "Policy YAML", "aria-describedby": "diagnostics-h" }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
}

/** Replaces the whole text without losing the editor (undo history restarts). */
export function setText(view, text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

/** A 1-based line and column as a document offset, clamped to the document. */
export function offsetOf(doc, line, col) {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  return Math.min(l.from + Math.max(col, 1) - 1, l.to);
}

/**
 * signoff diagnostics (1-based line/col ranges) as CodeMirror ones. An empty range is
 * widened to the word at its start, or to the rest of the line, so it is visible.
 */
export function toCodeMirror(doc, diagnostics) {
  return diagnostics.map((d) => {
    let from = offsetOf(doc, d.line, d.col);
    let to = offsetOf(doc, d.end_line || d.line, d.end_col || d.col);
    if (to <= from) {
      const line = doc.lineAt(from);
      const rest = line.text.slice(from - line.from);
      const word = /^[^\s:,\]}]+/.exec(rest);
      to = word ? from + word[0].length : line.to;
      if (to <= from && line.length > 0) {
        from = line.from + (line.text.length - line.text.trimStart().length);
        to = line.to;
      }
    }
    return { from, to, severity: d.severity, message: `${d.message} [${d.code}]`, source: "signoff" };
  });
}

export function showDiagnostics(view, diagnostics) {
  view.dispatch(setDiagnostics(view.state, toCodeMirror(view.state.doc, diagnostics)));
}

export function goTo(view, line, col) {
  const pos = offsetOf(view.state.doc, line, col);
  view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
  view.focus();
}
