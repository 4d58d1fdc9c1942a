// Tiny SVG charts drawn from report JSON (no chart library). Each chart is a <figure> with a
// caption, an SVG with role="img" and a text description, and the numbers stay available in
// a table beside it on the page for screen-reader users.

import { h, uid } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const COLORS = ["#0b4f8a", "#b4420c", "#1d6b2f", "#6d28d9", "#9f1239"];

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

// About five round tick values covering [min, max].
function ticks(min, max, count = 5) {
  if (min === max) { min -= 1; max += 1; }
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((m) => m >= raw) ?? raw;
  // From the step at or below min to the step at or above max, so every value fits.
  const first = Math.floor(min / step);
  const last = Math.ceil(max / step - 1e-9);
  const out = [];
  for (let i = first; i <= last; i += 1) out.push(Number((i * step).toPrecision(12)));
  return out;
}

function label(value) {
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2);
  return Number(value.toPrecision(4)).toString();
}

function frame(title, description, width, height) {
  const titleId = uid("chart-title");
  const descId = uid("chart-desc");
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${titleId} ${descId}` },
    s("title", { id: titleId }, title), s("desc", { id: descId }, description));
  return svg;
}

function axes(svg, { left, top, right, bottom, width, height, yTicks, y, xLabel, yLabel }) {
  for (const t of yTicks) {
    const py = y(t);
    svg.append(s("line", { x1: left, x2: width - right, y1: py, y2: py, stroke: "#dde3ea" }));
    svg.append(s("text", { x: left - 6, y: py + 4, "text-anchor": "end", "font-size": 11, fill: "#4a5561" }, label(t)));
  }
  svg.append(s("line", { x1: left, x2: left, y1: top, y2: height - bottom, stroke: "#4a5561" }));
  svg.append(s("line", { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, stroke: "#4a5561" }));
  if (xLabel) svg.append(s("text", { x: (left + width - right) / 2, y: height - 4, "text-anchor": "middle", "font-size": 12, fill: "#1b1f24" }, xLabel));
  if (yLabel) svg.append(s("text", { x: 12, y: (top + height - bottom) / 2, "text-anchor": "middle", "font-size": 12, fill: "#1b1f24", transform: `rotate(-90 12 ${(top + height - bottom) / 2})` }, yLabel));
}

function legend(series) {
  if (series.length < 2) return null;
  return h("ul", { class: "chart-legend" }, series.map((serie, i) =>
    h("li", {}, h("span", { class: "swatch", style: `background:${COLORS[i % COLORS.length]}` }), serie.name)));
}

// series: [{name, points: [[x, y], …]}]; x and y are numbers.
export function lineChart({ title, series, xLabel = "", yLabel = "", width = 640, height = 260 }) {
  const all = series.flatMap((serie) => serie.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const description = series.map((serie) => {
    const ys = serie.points.map((p) => p[1]);
    return ys.length ? `${serie.name}: ${ys.length} points from ${label(ys[0])} to ${label(ys[ys.length - 1])}` : `${serie.name}: no points`;
  }).join("; ");
  const svg = frame(title, description, width, height);
  if (all.length === 0) return figure(title, svg, series);
  const [left, right, top, bottom] = [56, 16, 12, 36];
  const xs = all.map((p) => p[0]);
  const yTicks = ticks(Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1])));
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const [yMin, yMax] = [yTicks[0], yTicks[yTicks.length - 1]];
  const x = (v) => left + (xMax === xMin ? 0.5 : (v - xMin) / (xMax - xMin)) * (width - left - right);
  const y = (v) => height - bottom - ((v - yMin) / (yMax - yMin || 1)) * (height - top - bottom);
  axes(svg, { left, top, right, bottom, width, height, yTicks, y, xLabel, yLabel });
  for (const t of ticks(xMin, xMax, Math.min(8, Math.max(1, xMax - xMin)))) {
    if (t < xMin || t > xMax) continue;
    svg.append(s("text", { x: x(t), y: height - bottom + 14, "text-anchor": "middle", "font-size": 11, fill: "#4a5561" }, label(t)));
  }
  series.forEach((serie, i) => {
    const color = COLORS[i % COLORS.length];
    const points = serie.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
    svg.append(s("polyline", { points: points.map(([px, py]) => `${x(px)},${y(py)}`).join(" "), fill: "none", stroke: color, "stroke-width": 2 }));
    for (const [px, py] of points) {
      svg.append(s("circle", { cx: x(px), cy: y(py), r: 3.5, fill: color }, s("title", {}, `${serie.name} at ${label(px)}: ${label(py)}`)));
    }
  });
  return figure(title, svg, series);
}

// One bar per label; values may be negative (bars grow from zero).
export function barChart({ title, labels, values, yLabel = "", width = 640, height = 260 }) {
  const description = labels.map((l, i) => `${l}: ${label(values[i])}`).join("; ");
  const svg = frame(title, description, width, height);
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return figure(title, svg, []);
  const [left, right, top, bottom] = [56, 16, 12, 40];
  const yTicks = ticks(Math.min(0, ...finite), Math.max(0, ...finite));
  const [yMin, yMax] = [yTicks[0], yTicks[yTicks.length - 1]];
  const y = (v) => height - bottom - ((v - yMin) / (yMax - yMin || 1)) * (height - top - bottom);
  axes(svg, { left, top, right, bottom, width, height, yTicks, y, yLabel });
  const slot = (width - left - right) / labels.length;
  labels.forEach((name, i) => {
    const v = Number.isFinite(values[i]) ? values[i] : 0;
    const [y0, y1] = [y(Math.max(0, v)), y(Math.min(0, v))];
    svg.append(s("rect", { x: left + i * slot + slot * 0.15, y: y0, width: slot * 0.7, height: Math.max(1, y1 - y0), fill: COLORS[0] },
      s("title", {}, `${name}: ${label(values[i])}`)));
    // Label every bar while there is room, else every few (the <title> of each bar names it).
    const every = Math.ceil(labels.length / Math.max(1, Math.floor((width - left - right) / 44)));
    if (i % every !== 0) return;
    const short = name.length > 14 ? name.slice(0, 13) + "…" : name;
    svg.append(s("text", { x: left + (i + 0.5) * slot, y: height - bottom + 14, "text-anchor": "middle", "font-size": 11, fill: "#4a5561" }, short));
  });
  return figure(title, svg, []);
}

function figure(title, svg, series) {
  return h("figure", { class: "chart" }, h("figcaption", {}, title), svg, legend(series));
}
