// Reading scanned text the way labels/gs1_parse.py does, as far as the device needs it: strip the
// symbology identifier, find the GTIN (01) or SSCC (00) for matching against the replica, and keep
// the raw text (group separators included) as the fact to record.

export const GS = '\u001d';

// ISO/IEC 15424 symbology identifiers that announce GS1 data, and those of bare-GTIN symbols.
const GS1_IDS = new Set([']C1', ']d2', ']Q3', ']e0']);
const GTIN_IDS = new Set([']E0', ']E3', ']E4', ']I0', ']I1']);
const GTIN_LENGTHS = new Set([8, 12, 13, 14]);

// GS1 GenSpecs 7.8.5 Figure 7.8.5-2: AIs starting with these digits have a predefined length
// (AI included) and need no separator after them.
const PREDEFINED_LENGTH = {
  '00': 20, '01': 16, '02': 16, '03': 16, '04': 18,
  11: 8, 12: 8, 13: 8, 14: 8, 15: 8, 16: 8, 17: 8, 18: 8, 19: 8,
  20: 4, 31: 10, 32: 10, 33: 10, 34: 10, 35: 10, 36: 10, 41: 16,
};

/** How many digits the AI starting with these two digits has (GS1 GenSpecs 3.2 AI table). */
function aiLength(two) {
  const n = Number(two);
  if (n <= 22 || n === 30 || n === 37 || n >= 90) return 2;
  if ((n >= 23 && n <= 29) || (n >= 40 && n <= 49 && n !== 43)) return 3;
  return 4; // 31–36, 39, 43, 70–89
}

/** GS1 mod-10 check digit over all but the last digit (GenSpecs 7.9). */
export function hasValidCheckDigit(digits) {
  if (!/^\d{2,}$/.test(digits)) return false;
  let sum = 0;
  const body = digits.slice(0, -1);
  for (let i = 0; i < body.length; i += 1) {
    const weight = (body.length - i) % 2 === 1 ? 3 : 1;
    sum += Number(body[i]) * weight;
  }
  return (10 - (sum % 10)) % 10 === Number(digits.at(-1));
}

/** Split a GS1 element string into [ai, value] pairs; null when it does not parse. */
export function parseElements(text) {
  const elements = [];
  let at = 0;
  while (at < text.length) {
    const two = text.slice(at, at + 2);
    if (!/^\d\d$/.test(two)) return null;
    const size = aiLength(two);
    const ai = text.slice(at, at + size);
    if (!/^\d+$/.test(ai) || ai.length !== size) return null;
    const fixed = PREDEFINED_LENGTH[two]; // the AI's digits included
    if (fixed) {
      const value = text.slice(at + size, at + fixed);
      if (value.length !== fixed - size || value.includes(GS)) return null;
      elements.push([ai, value]);
      at += fixed;
      if (text[at] === GS) at += 1; // redundant after a predefined length, but harmless
    } else {
      const stop = text.indexOf(GS, at + size);
      const end = stop === -1 ? text.length : stop;
      elements.push([ai, text.slice(at + size, end)]);
      at = end + 1;
    }
  }
  return elements;
}

/**
 * What a scan says: `{raw, symbology, body, gs1, gtin, sscc}`. `raw` is what to record (line
 * ends dropped, everything else kept); `gtin` is normalised to 14 digits.
 */
export function parseScan(input) {
  const raw = String(input).replace(/[\r\n]+$/, '');
  let text = raw;
  let symbology = null;
  if (text.length >= 3 && text[0] === ']') {
    symbology = text.slice(0, 3);
    text = text.slice(3);
  }
  // A scanner may pass the leading FNC1 through as GS; it only announces GS1 data (GenSpecs 5.4.1).
  const body = text.replace(/^\u001d+/, '');
  const result = { raw, symbology, body, gs1: false, gtin: null, sscc: null, elements: null };
  const digitsOnly = /^\d+$/.test(body);
  if (GTIN_IDS.has(symbology) || (!symbology && digitsOnly && GTIN_LENGTHS.has(body.length) && hasValidCheckDigit(body))) {
    result.gtin = body.padStart(14, '0');
    return result;
  }
  // GS1 data announced by its identifier, or recognisable without one: (00) or (01) with a valid
  // check digit in front (a wedge scanner configured without identifiers drops them).
  const looksGs1 = (/^01\d{14}/.test(body) && hasValidCheckDigit(body.slice(2, 16)))
    || (/^00\d{18}/.test(body) && hasValidCheckDigit(body.slice(2, 20)));
  if (GS1_IDS.has(symbology) || (!symbology && looksGs1)) {
    const elements = parseElements(body);
    if (elements) {
      result.gs1 = true;
      result.elements = elements;
      result.gtin = elements.find(([ai]) => ai === '01')?.[1] ?? null;
      result.sscc = elements.find(([ai]) => ai === '00')?.[1] ?? null;
    }
  }
  return result;
}

/** The key a barcode is indexed under on the device: GTINs as 14 digits, anything else as is. */
export function codeKey(code) {
  const text = String(code).trim();
  if (/^\d+$/.test(text) && GTIN_LENGTHS.has(text.length)) return text.padStart(14, '0');
  return text;
}
