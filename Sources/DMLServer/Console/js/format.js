// Formatting of amounts, dates and addresses.
// Amounts travel as decimal strings of base units (1 DML = 10^9). They can exceed 2^53, so
// every conversion goes through BigInt: a float would silently round large balances.

const DECIMALS = 9;
const BASE = 10n ** BigInt(DECIMALS);
const U64_MAX = (1n << 64n) - 1n;

// Groups an integer's digits by thousands with commas ("1234567" → "1,234,567").
function group(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

// Base units → "12.5" (no grouping, no unit): what an amount input should be prefilled with.
export function toDecimal(baseUnits) {
  const value = BigInt(baseUnits ?? 0);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / BASE;
  const fraction = (abs % BASE).toString().padStart(DECIMALS, "0").replace(/0+$/, "");
  return (negative ? "-" : "") + whole.toString() + (fraction ? "." + fraction : "");
}

// Base units → "1,234.5 DML", with up to 9 decimals and nothing rounded.
export function formatDML(baseUnits, unit = "DML") {
  if (baseUnits === undefined || baseUnits === null || baseUnits === "") return "—";
  const [whole, fraction] = toDecimal(baseUnits).split(".");
  return group(whole) + (fraction ? "." + fraction : "") + (unit ? " " + unit : "");
}

// Storage rents are in USD units of 10^-9 USD, the same scale as DML base units.
export function formatUSD(units) {
  if (units === undefined || units === null) return "—";
  const [whole, fraction] = toDecimal(units).split(".");
  return "$" + group(whole) + (fraction ? "." + fraction : "");
}

// "12.5" (DML, as a person types it) → "12500000000" (base units). Throws a readable Error.
export function parseDML(text, { allowZero = false } = {}) {
  const clean = String(text ?? "").trim().replace(/[,_\s]/g, "");
  const match = /^(\d+)(?:\.(\d*))?$/.exec(clean);
  if (!match) throw new Error("Enter an amount in DML, for example 12.5");
  const fraction = match[2] ?? "";
  if (fraction.length > DECIMALS) throw new Error("An amount has at most 9 decimals (1 base unit = 0.000000001 DML)");
  const value = BigInt(match[1]) * BASE + BigInt(fraction.padEnd(DECIMALS, "0") || "0");
  if (value > U64_MAX) throw new Error("That amount is too large");
  if (value === 0n && !allowZero) throw new Error("The amount must be more than zero");
  return value.toString();
}

// Adds or subtracts base-unit strings without floats.
export function addAmounts(a, b) { return (BigInt(a) + BigInt(b)).toString(); }
export function subAmounts(a, b) { return (BigInt(a) - BigInt(b)).toString(); }
export function compareAmounts(a, b) { const d = BigInt(a) - BigInt(b); return d > 0n ? 1 : d < 0n ? -1 : 0; }

// Unix ms → local date and time, as the reader's locale writes it.
export function formatDate(ms) {
  if (ms === undefined || ms === null || ms === "") return "—";
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime())) return "—";
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

// Unix ms → "2025-01-31T14:05" for <input type="datetime-local"> (local time, no zone).
export function toDateTimeLocal(ms) {
  const d = new Date(Number(ms));
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// The value of a datetime-local input (local time) → Unix ms.
export function fromDateTimeLocal(value) {
  const ms = new Date(value).getTime();
  if (!value || Number.isNaN(ms)) throw new Error("Enter a date and time");
  return ms;
}

export function formatNumber(n) {
  if (n === undefined || n === null) return "—";
  return typeof n === "number" ? n.toLocaleString(undefined, { maximumFractionDigits: 6 }) : String(n);
}

// "dml1qqqq…wxyz": long enough to tell accounts apart, short enough for a table cell.
export function shortAddress(address) {
  if (!address || address.length < 20) return address ?? "—";
  return address.slice(0, 10) + "…" + address.slice(-6);
}
export function shortHash(hash) {
  if (!hash || hash.length < 16) return hash ?? "—";
  return hash.slice(0, 10) + "…" + hash.slice(-6);
}

// "enrollment_open" → "Enrollment open".
export function humanize(code) {
  if (!code) return "—";
  const text = String(code).replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const STORAGE_NAMES = { ipfs: "IPFS", crust: "Crust", s3: "Amazon S3", gcp: "Google Cloud Storage", azure: "Azure Blob Storage" };
export function storageName(code) { return STORAGE_NAMES[code] ?? humanize(code); }

export function plural(n, one, many = one + "s") { return `${n} ${n === 1 ? one : many}`; }
