// Numbers the way people read them on the pages.

export function count(n) {
  return n == null ? '–' : Number(n).toLocaleString('en-US');
}

export function bytes(n) {
  if (n == null) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

export function percent(fraction, digits = 1) {
  return fraction == null ? '–' : `${(fraction * 100).toFixed(digits)} %`;
}

export function signedPoints(delta) {
  if (delta == null) return '–';
  const points = delta * 100;
  return `${points >= 0 ? '+' : ''}${points.toFixed(2)} pts`;
}

export function ms(value) {
  return value == null ? '–' : `${value.toFixed(3)} ms`;
}

export function time(iso) {
  return iso ? new Date(iso).toLocaleString() : '–';
}

export function shortId(id) {
  return id ? id.slice(0, 8) : '–';
}

export function parameters(params) {
  const entries = Object.entries(params || {});
  return entries.length ? entries.map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : v}`).join(', ') : 'defaults';
}
