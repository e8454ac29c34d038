// Sizes and counts as users type them: "64", "4K", "1M", "0x100". Pure parsing, shared by the
// kernel's program parser and the shell.

const SIZE_PATTERN = /^(\d+)([KMG]?)$/i;
const SUFFIX_UNITS: Record<string, number> = {'': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3};

/** Parse a size with an optional K/M/G suffix (powers of 1024). Returns undefined when malformed. */
export function parseSize(text: string): number | undefined {
  const match = SIZE_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]) * SUFFIX_UNITS[(match[2] ?? '').toUpperCase()]!;
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Parse a non-negative decimal integer. Returns undefined when malformed. */
export function parseCount(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Parse an address in decimal or 0x hex. Returns undefined when malformed. */
export function parseAddress(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) {
    const value = Number.parseInt(text.slice(2), 16);
    return Number.isSafeInteger(value) ? value : undefined;
  }
  return parseCount(text);
}

/** Format an address as 0x hex, padded to at least `digits` digits. */
export function formatAddress(addr: number, digits = 5): string {
  return '0x' + addr.toString(16).padStart(digits, '0');
}

/** Whether `name` is a usable identifier for a semaphore, queue, resource or process group. */
export function isValidName(name: string, maxChars: number): boolean {
  return name.length > 0 && name.length <= maxChars && /^[A-Za-z_][\w.-]*$/.test(name);
}
