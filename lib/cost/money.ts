/**
 * An amount of money for display, rounded to cents: `$1,234.50` for USD, `1,234.50 EUR` for other currencies.
 * Only formatting rounds; estimates keep full precision.
 */
export function formatMoney(amount: number, currency: string): string {
  const digits = Math.abs(amount).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const sign = amount < 0 && digits !== '0.00' ? '-' : '';
  return currency === 'USD' ? `${sign}$${digits}` : `${sign}${digits} ${currency}`;
}

/** A count for display: an integer as is, a fraction with at most two decimals (`4.35`). */
export function formatCount(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** `2` for a fixed count, `2–4` for a range. */
export function formatRange(min: number, max: number): string {
  return min === max ? formatCount(min) : `${formatCount(min)}–${formatCount(max)}`;
}
