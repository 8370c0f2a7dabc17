// A small time-series plot on a canvas: lines (or steps) over UTC time, a legend,
// a hover read-out, drag to zoom into a time range, double-click to zoom out.
// No library: the page must work without the internet and without a build step.

const PAD = { left: 56, right: 12, top: 22, bottom: 26 };

function niceStep(span, target) {
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n < 1.5 ? 1 : n < 3.5 ? 2 : n < 7.5 ? 5 : 10) * mag;
}

const TIME_STEPS = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400];

function timeLabel(t, step) {
  const iso = new Date(t * 1000).toISOString();
  return step >= 86400 ? iso.slice(5, 10) : step >= 3600 && t % 86400 === 0 ? iso.slice(5, 10) : iso.slice(11, 16);
}

export class Plot {
  // series: [{name, color, values}] aligned on x (UTC seconds); unit: the y axis's
  // legend: an element to list the series in (HTML, one <li data-series> each) instead
  // of drawing them on the canvas
  constructor(canvas, { unit = "", step = false, legend = null } = {}) {
    this.canvas = canvas;
    this.legend = legend;
    this.unit = unit;
    this.step = step;
    this.x = [];
    this.series = [];
    this.view = null; // [t0, t1] when zoomed
    this.drag = null;
    this.hover = null;
    canvas.addEventListener("mousedown", (e) => { this.drag = [this.px(e), this.px(e)]; });
    canvas.addEventListener("mousemove", (e) => {
      if (this.drag) this.drag[1] = this.px(e);
      this.hover = this.px(e);
      this.draw();
    });
    canvas.addEventListener("mouseleave", () => { this.hover = null; this.draw(); });
    window.addEventListener("mouseup", () => {
      if (!this.drag) return;
      const [a, b] = this.drag.map((p) => this.timeAt(p)).sort((u, v) => u - v);
      this.drag = null;
      if (b - a > 60 && this.x.length) this.view = [a, b];
      this.draw();
    });
    canvas.addEventListener("dblclick", () => { this.view = null; this.draw(); });
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  set(x, series) {
    this.x = x;
    this.series = series;
    if (this.legend) {
      this.legend.replaceChildren(...series.map((s) => {
        const li = document.createElement("li");
        li.dataset.series = s.key || s.name;
        const swatch = document.createElement("i");
        swatch.style.background = s.color;
        li.append(swatch, s.name);
        return li;
      }));
    }
    this.canvas.dataset.series = series.map((s) => s.key || s.name).join("|");
    this.draw();
  }

  zoom(t0, t1) { this.view = [t0, t1]; this.draw(); }

  px(e) { return e.clientX - this.canvas.getBoundingClientRect().left; }

  range() {
    if (this.view) return this.view;
    if (!this.x.length) return [0, 1];
    return [this.x[0], this.x[this.x.length - 1] === this.x[0] ? this.x[0] + 1 : this.x[this.x.length - 1]];
  }

  timeAt(px) {
    const [t0, t1] = this.range();
    const w = this.width - PAD.left - PAD.right;
    return t0 + ((px - PAD.left) / w) * (t1 - t0);
  }

  draw() {
    const c = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    this.width = c.clientWidth;
    const height = c.clientHeight;
    c.width = this.width * ratio;
    c.height = height * ratio;
    const g = c.getContext("2d");
    g.scale(ratio, ratio);
    g.font = "11px system-ui, sans-serif";
    g.clearRect(0, 0, this.width, height);
    const w = this.width - PAD.left - PAD.right;
    const h = height - PAD.top - PAD.bottom;
    if (!this.x.length) {
      g.fillStyle = "#888";
      g.fillText("no data stored yet", PAD.left + 8, PAD.top + 20);
      return;
    }
    const [t0, t1] = this.range();
    let lo = Infinity, hi = -Infinity;
    for (const s of this.series) {
      s.values.forEach((v, i) => {
        if (v === null || this.x[i] < t0 || this.x[i] > t1) return;
        lo = Math.min(lo, v); hi = Math.max(hi, v);
      });
    }
    if (lo === Infinity) { lo = 0; hi = 1; }
    if (lo > 0) lo = 0;
    if (hi === lo) hi = lo + 1;
    const X = (t) => PAD.left + ((t - t0) / (t1 - t0)) * w;
    const Y = (v) => PAD.top + h - ((v - lo) / (hi - lo)) * h;
    // grid and axes
    g.strokeStyle = "#e6e8eb"; g.fillStyle = "#6b7280"; g.lineWidth = 1;
    const ys = niceStep(hi - lo, 5);
    for (let v = Math.ceil(lo / ys) * ys; v <= hi; v += ys) {
      g.beginPath(); g.moveTo(PAD.left, Y(v)); g.lineTo(PAD.left + w, Y(v)); g.stroke();
      g.textAlign = "right"; g.fillText(+v.toPrecision(6) + "", PAD.left - 6, Y(v) + 4);
    }
    const ts = TIME_STEPS.find((s) => (t1 - t0) / s <= 10) || 30 * 86400;
    g.textAlign = "center";
    for (let t = Math.ceil(t0 / ts) * ts; t <= t1; t += ts) {
      g.beginPath(); g.moveTo(X(t), PAD.top); g.lineTo(X(t), PAD.top + h); g.stroke();
      g.fillText(timeLabel(t, ts), X(t), PAD.top + h + 16);
    }
    g.textAlign = "left";
    g.fillText(this.unit, 4, 12);
    // series
    g.save();
    g.beginPath(); g.rect(PAD.left, PAD.top, w, h); g.clip();
    for (const s of this.series) {
      g.strokeStyle = s.color; g.lineWidth = 1.5; g.beginPath();
      let pen = false;
      s.values.forEach((v, i) => {
        if (v === null) { pen = false; return; }
        const x = X(this.x[i]), y = Y(v);
        if (!pen) g.moveTo(x, y);
        else if (this.step) { g.lineTo(x, Y(s.values[i - 1])); g.lineTo(x, y); }
        else g.lineTo(x, y);
        pen = true;
      });
      g.stroke();
      const shown = s.values.filter((v) => v !== null).length;
      if (shown <= 60) {
        g.fillStyle = s.color;
        s.values.forEach((v, i) => {
          if (v !== null) { g.beginPath(); g.arc(X(this.x[i]), Y(v), 2.5, 0, 7); g.fill(); }
        });
      }
    }
    g.restore();
    // legend (unless it is listed beside the canvas)
    let lx = PAD.left + 4;
    for (const s of this.legend ? [] : this.series) {
      g.fillStyle = s.color; g.fillRect(lx, 6, 10, 10);
      g.fillStyle = "#1d2330"; g.fillText(s.name, lx + 14, 15);
      lx += g.measureText(s.name).width + 30;
    }
    // zoom selection, hover read-out
    if (this.drag) {
      const [a, b] = this.drag;
      g.fillStyle = "rgba(31, 111, 235, .12)";
      g.fillRect(Math.min(a, b), PAD.top, Math.abs(b - a), h);
    } else if (this.hover !== null && this.hover >= PAD.left && this.hover <= PAD.left + w) {
      const t = this.timeAt(this.hover);
      let best = 0;
      this.x.forEach((xt, i) => { if (Math.abs(xt - t) < Math.abs(this.x[best] - t)) best = i; });
      const x = X(this.x[best]);
      g.strokeStyle = "#9aa4b2"; g.beginPath(); g.moveTo(x, PAD.top); g.lineTo(x, PAD.top + h); g.stroke();
      const text = [new Date(this.x[best] * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC",
        ...this.series.map((s) => `${s.name}: ${s.values[best] === null ? "–" : +s.values[best].toFixed(3)} ${this.unit}`)];
      const tw = Math.max(...text.map((l) => g.measureText(l).width)) + 12;
      const bx = Math.min(x + 8, PAD.left + w - tw);
      g.fillStyle = "rgba(255, 255, 255, .92)"; g.fillRect(bx, PAD.top + 4, tw, 16 * text.length + 6);
      g.fillStyle = "#1d2330";
      text.forEach((l, i) => g.fillText(l, bx + 6, PAD.top + 18 + 16 * i));
    }
  }
}
