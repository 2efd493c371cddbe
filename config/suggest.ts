// "Did you mean …?" for names a human mistyped.

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The candidate closest to `word`, when it is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** ` — did you mean 'x'?`, or an empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : ` — did you mean '${match}'?`;
}

/** Units as the field writes them → the UCUM code meant (compared lower case, spaces and ° removed). */
const UNIT_SPELLINGS: Record<string, string> = {
  degc: 'Cel', c: 'Cel', celsius: 'Cel', centigrade: 'Cel',
  f: '[degF]', fahrenheit: '[degF]',
  meter: 'm', meters: 'm', metre: 'm', metres: 'm',
  millimeter: 'mm', millimeters: 'mm', centimeter: 'cm', centimeters: 'cm',
  psig: '[psi]', psia: '[psi]', psid: '[psi]',
  'm3/hr': 'm3/h', 'm³/h': 'm3/h', 'm^3/h': 'm3/h', cmh: 'm3/h',
  lpm: 'L/min', 'l/m': 'L/min',
  mps: 'm/s', 'm/sec': 'm/s',
  volt: 'V', volts: 'V', millivolt: 'mV', millivolts: 'mV',
  rh: '%RH', lel: '%LEL', vol: '%vol', percent: '%',
  degree: 'deg', degrees: 'deg',
  kelvin: 'K', hour: 'h', hours: 'h', hr: 'h', second: 's', seconds: 's', sec: 's',
};

/**
 * The UCUM code a mistyped unit most likely means (`degC` → `Cel`, `meters` → `m`, `psig` →
 * `[psi]`, `KPA` → `kPa`), or undefined. `known` are codes to match regardless of case.
 */
export function suggestUnit(unit: string, known: Iterable<string>): string | undefined {
  const plain = unit.toLowerCase().replace(/[\s°]/g, '');
  const spelled = UNIT_SPELLINGS[plain] ?? UNIT_SPELLINGS[plain.replace(/^deg/, '')];
  if (spelled) return spelled;
  for (const code of known) if (code.toLowerCase() === plain && code !== unit) return code;
  return undefined;
}
