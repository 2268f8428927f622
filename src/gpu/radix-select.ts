/**
 * The host side of an exact radix select of the `need` largest of S values (shaders/psis/tail_select.wgsl).
 *
 * Each value is ranked by a 56-bit compound key: the f32's order-preserving 32-bit key (an unsigned
 * comparison of keys is the numeric comparison of values), then the draw index (24 bits, S <= 2^24).
 * Comparing compound keys is a stable sort: ties keep index order, as R's sort (and loo) does, so the
 * selected set and its order are exactly loo's. The key is consumed in digits of at most 11 bits (2048
 * histogram bins, which fit in workgroup memory beside a reduction's scratch): 11 + 11 + 10 value bits,
 * then 11 + 11 + 2 index bits. After each histogram pass the host picks the bin that holds the need-th
 * largest key; as soon as every key at or above that bin's lower edge fits in the candidate buffer, one
 * compaction pass copies them out. Typically two histogram passes suffice; only many ties (e.g. a constant
 * tail) go on to the index digits, and six passes always end with exactly `need` candidates.
 */

export interface RadixDigit {
  /** Which part of the compound key the digit comes from. */
  readonly source: 'value' | 'index';
  /** The digit is (part >> shift) & (2^bits - 1). */
  readonly shift: number;
  readonly bits: number;
}

/** The histogram has 2^11 bins. */
export const RADIX_BITS = 11;
export const RADIX_BINS = 1 << RADIX_BITS;
/** Indices are below 2^24: the compound key's index part has 24 bits. */
export const INDEX_BITS = 24;
export const MAX_SELECT_COUNT = 2 ** INDEX_BITS;

export const TAIL_DIGITS: readonly RadixDigit[] = [
  { source: 'value', shift: 21, bits: 11 },
  { source: 'value', shift: 10, bits: 11 },
  { source: 'value', shift: 0, bits: 10 },
  { source: 'index', shift: 13, bits: 11 },
  { source: 'index', shift: 2, bits: 11 },
  { source: 'index', shift: 0, bits: 2 },
];

/** The keys a histogram pass counts: those whose masked parts equal the prefix. */
export interface RadixPrefix {
  readonly value: number;
  readonly valueMask: number;
  readonly index: number;
  readonly indexMask: number;
}

export const EMPTY_PREFIX: RadixPrefix = { value: 0, valueMask: 0, index: 0, indexMask: 0 };

/** The smallest compound key with a given prefix: every key >= it is a candidate. */
export interface RadixEdge {
  readonly value: number;
  readonly index: number;
}

const F32_SIGN = 0x80000000;

/** f32 bits -> order-preserving key (negative values: all bits flipped; others: the sign bit set). */
export function f32OrderKey(bits: number): number {
  return (bits & F32_SIGN) !== 0 ? ~bits >>> 0 : (bits | F32_SIGN) >>> 0;
}

/** The inverse of f32OrderKey. */
export function f32FromOrderKey(key: number): number {
  return (key & F32_SIGN) !== 0 ? (key & 0x7fffffff) >>> 0 : ~key >>> 0;
}

function digitMask(digit: RadixDigit): number {
  return digit.bits === 32 ? 0xffffffff : ((1 << digit.bits) - 1) << digit.shift;
}

/** The prefix extended by `bin` in `digit`. */
export function extendPrefix(prefix: RadixPrefix, digit: RadixDigit, bin: number): RadixPrefix {
  const mask = digitMask(digit) >>> 0;
  const bits = (bin << digit.shift) >>> 0;
  return digit.source === 'value'
    ? { ...prefix, value: (prefix.value | bits) >>> 0, valueMask: (prefix.valueMask | mask) >>> 0 }
    : { ...prefix, index: (prefix.index | bits) >>> 0, indexMask: (prefix.indexMask | mask) >>> 0 };
}

/** Where the keys with this prefix begin (unfixed bits zero). */
export function prefixEdge(prefix: RadixPrefix): RadixEdge {
  return { value: prefix.value, index: prefix.index };
}

export interface BinChoice {
  /** The bin holding the need-th largest key. */
  readonly bin: number;
  /** Keys above that bin: those above the prefix plus those in higher bins. */
  readonly above: number;
  /** Keys at or above the bin's lower edge: what a compaction at this edge would copy. */
  readonly candidates: number;
}

/**
 * The bin of a histogram (of the keys with the current prefix, by the next digit) that holds the need-th
 * largest key overall, given `above` keys larger than every key with the prefix.
 */
export function chooseBin(histogram: Uint32Array, bins: number, above: number, need: number): BinChoice {
  let acc = above;
  for (let bin = bins - 1; bin >= 0; bin--) {
    const count = histogram[bin] as number;
    if (acc + count >= need) return { bin, above: acc, candidates: acc + count };
    acc += count;
  }
  throw new RangeError(
    `radix select: the histogram holds ${acc - above} keys under the prefix and ${above} above it, ` +
      `fewer than the ${need} wanted (the values changed between passes?)`,
  );
}

/** The state of one selection: which digit is next, the prefix so far, how many keys lie above it. */
export interface RadixSelectState {
  readonly level: number;
  readonly prefix: RadixPrefix;
  readonly above: number;
}

export const START_STATE: RadixSelectState = { level: 0, prefix: EMPTY_PREFIX, above: 0 };

export type RadixSelectStep =
  | { readonly kind: 'histogram'; readonly state: RadixSelectState }
  | { readonly kind: 'compact'; readonly edge: RadixEdge; readonly expected: number };

/**
 * After a histogram pass at `state`: compact if the candidates fit in `capacity` (or no digit is left),
 * else the next histogram pass.
 */
export function nextStep(
  state: RadixSelectState,
  histogram: Uint32Array,
  need: number,
  capacity: number,
): RadixSelectStep {
  const digit = TAIL_DIGITS[state.level];
  if (!digit) throw new RangeError(`radix select: no digit at level ${state.level}`);
  const choice = chooseBin(histogram, 1 << digit.bits, state.above, need);
  const prefix = extendPrefix(state.prefix, digit, choice.bin);
  const last = state.level === TAIL_DIGITS.length - 1;
  if (choice.candidates <= capacity || last) {
    if (choice.candidates > capacity) {
      throw new RangeError(
        `radix select: ${choice.candidates} candidates after the last digit exceed the capacity ${capacity}`,
      );
    }
    return { kind: 'compact', edge: prefixEdge(prefix), expected: choice.candidates };
  }
  return { kind: 'histogram', state: { level: state.level + 1, prefix, above: choice.above } };
}

/** Does the compound key (key, index) start with the prefix? (What the histogram pass counts.) */
export function matchesPrefix(key: number, index: number, prefix: RadixPrefix): boolean {
  return (key & prefix.valueMask) >>> 0 === prefix.value && (index & prefix.indexMask) >>> 0 === prefix.index;
}

/** The digit of (key, index) at a level. */
export function digitOf(key: number, index: number, level: number): number {
  const digit = TAIL_DIGITS[level];
  if (!digit) throw new RangeError(`radix select: no digit at level ${level}`);
  const part = digit.source === 'value' ? key : index;
  return (part >>> digit.shift) & ((1 << digit.bits) - 1);
}

/** Is (key, index) at or above the edge? (What the compaction pass copies.) */
export function atOrAboveEdge(key: number, index: number, edge: RadixEdge): boolean {
  return key > edge.value || (key === edge.value && index >= edge.index);
}
