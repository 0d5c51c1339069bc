// Files from the browser to the kernel, in chunks: Tornado refuses a websocket message over
// ~10 MB (ipywidgets#2522). `upload_start` announces the file; each `upload_chunk` (one
// buffer of at most CHUNK_BYTES, with its `offset`) goes after the kernel acknowledged the
// bytes before it (`upload_ack`), so at most one chunk is in flight; the kernel ends it with
// `upload_done` (the file's kernel-side path, already put into the form) or `upload_error`.
// The protocol is in docs/widget-protocol.md.

export const CHUNK_BYTES = 1024 * 1024;

/**
 * @typedef {{field: string, name: string, size: number, sent: number,
 *            state: "sending" | "done" | "error", error?: string, path?: string}} UploadState
 */

export class ChunkedUploads {
  constructor({ chunkBytes = CHUNK_BYTES } = {}) {
    this.chunkBytes = chunkBytes;
    /** @type {Map<string, {file: Blob, state: UploadState, send: Function}>} */
    this.open = new Map();
    /** @type {Set<(id: string, state: UploadState) => void>} */
    this.listeners = new Set();
    /** The name each sent file had here, by its kernel-side path (shown instead of it). */
    this.names = new Map();
    this.counter = 0;
  }

  /** Hear progress; returns the unsubscribe function. */
  listen(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Start sending `file` for `field` (`send` is `model.send`); returns the upload's id. */
  start(file, field, send) {
    this.counter += 1;
    const id = `u${Date.now().toString(36)}-${this.counter}`;
    const state = { field, name: file.name || "file", size: file.size, sent: 0, state: "sending" };
    this.open.set(id, { file, state, send });
    send({ type: "upload_start", upload_id: id, field, name: state.name, size: file.size });
    this.emit(id, state);
    return id;
  }

  /** Stop an upload (the kernel drops what it received). */
  cancel(id) {
    const upload = this.open.get(id);
    if (!upload) return;
    this.open.delete(id);
    upload.send({ type: "upload_cancel", upload_id: id });
    this.emit(id, { ...upload.state, state: "error", error: "cancelled" });
  }

  /** Take a kernel message; returns whether it was one of ours. */
  receive(content) {
    const upload = this.open.get(content?.upload_id);
    if (!upload) return false;
    const id = content.upload_id;
    if (content.type === "upload_ack") {
      upload.state.sent = Number(content.received) || 0;
      this.emit(id, upload.state);
      this.sendFrom(id, upload, upload.state.sent);
    } else if (content.type === "upload_done") {
      this.open.delete(id);
      if (typeof content.path === "string") this.names.set(content.path, upload.state.name);
      this.emit(id, {
        ...upload.state,
        sent: upload.state.size,
        state: "done",
        path: content.path,
      });
    } else if (content.type === "upload_error") {
      this.open.delete(id);
      this.emit(id, { ...upload.state, state: "error", error: String(content.error || "failed") });
    } else return false;
    return true;
  }

  async sendFrom(id, upload, offset) {
    if (offset >= upload.file.size) return;
    const end = Math.min(offset + this.chunkBytes, upload.file.size);
    const bytes = await upload.file.slice(offset, end).arrayBuffer();
    if (this.open.get(id) !== upload) return; // cancelled meanwhile
    upload.send({ type: "upload_chunk", upload_id: id, offset }, [bytes]);
  }

  emit(id, state) {
    for (const fn of [...this.listeners]) {
      try {
        fn(id, state);
      } catch (err) {
        console.error("[seedance-studio]", err);
      }
    }
  }
}
