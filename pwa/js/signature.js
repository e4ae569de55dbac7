// The signature pad: a canvas the recipient signs with a finger, stylus or mouse (pointer
// events). It keeps the strokes as points too, so the server gets both the picture (PNG) and the
// strokes (JSON) of the same signature.

const INK = '#111';
const LINE_WIDTH = 3;

export class SignaturePad {
  constructor(canvas, { onChange = () => {} } = {}) {
    this.canvas = canvas;
    this.onChange = onChange;
    this.strokes = [];
    this.current = null;
    this.ctx = canvas.getContext('2d');
    this.down = this.down.bind(this);
    this.move = this.move.bind(this);
    this.up = this.up.bind(this);
    canvas.addEventListener('pointerdown', this.down);
    canvas.addEventListener('pointermove', this.move);
    canvas.addEventListener('pointerup', this.up);
    canvas.addEventListener('pointercancel', this.up);
  }

  /** Size the bitmap to the canvas's CSS box (sharp on high-density screens), blank. */
  fit() {
    const rect = this.canvas.getBoundingClientRect();
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    this.canvas.width = Math.max(1, Math.round(rect.width * ratio));
    this.canvas.height = Math.max(1, Math.round(rect.height * ratio));
    this.scale = ratio;
    this.clear();
  }

  clear() {
    this.strokes = [];
    this.current = null;
    // A white background: the PNG prints on the proof of delivery as it was seen.
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.fillStyle = '#fff';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.onChange(this);
  }

  get isEmpty() {
    return !this.strokes.some((s) => s.length > 1);
  }

  point(event) {
    const rect = this.canvas.getBoundingClientRect();
    const sx = this.canvas.width / rect.width;
    const sy = this.canvas.height / rect.height;
    return [Math.round((event.clientX - rect.left) * sx), Math.round((event.clientY - rect.top) * sy)];
  }

  down(event) {
    event.preventDefault();
    this.canvas.setPointerCapture?.(event.pointerId);
    this.current = [this.point(event)];
    this.strokes.push(this.current);
  }

  move(event) {
    if (!this.current) return;
    event.preventDefault();
    const [x0, y0] = this.current.at(-1);
    const [x, y] = this.point(event);
    this.current.push([x, y]);
    const c = this.ctx;
    c.strokeStyle = INK;
    c.lineWidth = LINE_WIDTH * (this.scale || 1);
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(x0, y0);
    c.lineTo(x, y);
    c.stroke();
  }

  up() {
    if (!this.current) return;
    this.current = null;
    this.onChange(this);
  }

  /** The signature as PNG bytes. */
  async png() {
    const blob = await new Promise((resolve) => this.canvas.toBlob(resolve, 'image/png'));
    return new Uint8Array(await blob.arrayBuffer());
  }

  /** The strokes as JSON bytes: `{w, h, strokes: [[[x, y], …], …]}` in bitmap pixels. */
  strokesJson() {
    const body = { w: this.canvas.width, h: this.canvas.height, strokes: this.strokes.filter((s) => s.length > 1) };
    return new TextEncoder().encode(JSON.stringify(body));
  }
}
