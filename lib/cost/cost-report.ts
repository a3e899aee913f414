import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CostEstimate } from './cost-estimate';
import { formatMoney } from './money';

/** Name of the machine-readable estimate in the cloud assembly directory. */
export const COST_ESTIMATE_JSON = 'cost-estimate.json';

/** Name of the plain-text estimate in the cloud assembly directory. */
export const COST_ESTIMATE_TXT = 'cost-estimate.txt';

/** Options of {@link formatCostEstimate}. */
export interface CostReportOptions {
  /**
   * Add the assumptions and what is not included below the table.
   * @default true
   */
  readonly details?: boolean;
}

/**
 * The first line of a report: that this is an estimate of list prices, from which region, date and file, not a quote.
 */
export function costEstimateHeadline(estimate: Pick<CostEstimate, 'region' | 'pricesDate' | 'priceSource' | 'currency' | 'hoursPerMonth'>): string {
  return `ESTIMATE, not a quote: monthly cost at ${estimate.region} list prices dated ${estimate.pricesDate} from ${estimate.priceSource} `
    + `(${estimate.currency}, ${estimate.hoursPerMonth} h a month).`;
}

/**
 * A plain-text report of one estimate: a line that says it is an estimate of list prices (region, date, price file),
 * then a table of component, item, quantity, minimum and maximum a month, the totals, and (unless `details` is
 * false) the assumptions and what is not included. Amounts are rounded to cents here, and only here.
 */
export function formatCostEstimate(estimate: CostEstimate, options: CostReportOptions = {}): string {
  const money = (n: number) => formatMoney(n, estimate.currency);
  const header = ['component', 'item', 'quantity', 'min / month', 'max / month'];
  const rows = estimate.lines.map(l => [l.component, `${l.item}${l.unverified ? ' *' : ''}`, l.quantity, money(l.monthlyMin), money(l.monthlyMax)]);
  const total = ['Total', '', '', money(estimate.totalMin), money(estimate.totalMax)];
  const widths = header.map((h, i) => Math.max(h.length, ...[...rows, total].map(r => r[i].length)));
  const render = (r: string[]) => r.map((cell, i) => (i >= 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  const rule = widths.map(w => '-'.repeat(w)).join('  ');
  const stack = estimate.stackName ? ` (stack ${estimate.stackName})` : '';
  const out = [
    costEstimateHeadline(estimate),
    `Environment ${estimate.environment}${stack}: ${money(estimate.totalMin)} – ${money(estimate.totalMax)} a month`,
    '',
    render(header),
    rule,
    ...rows.map(render),
    rule,
    render(total),
  ];
  if (estimate.lines.some(l => l.unverified)) out.push('* uses a price the price file marks unverified (see the assumptions).');
  if (options.details ?? true) {
    out.push('', 'Assumptions:', ...estimate.assumptions.map(a => `  - ${a}`));
    out.push('', 'Not included:', ...estimate.excluded.map(x => `  - ${x}`));
  }
  return out.join('\n');
}

/** The paths {@link writeCostEstimates} wrote. */
export interface CostEstimateFiles {
  /** The machine-readable estimates. */
  readonly json: string;
  /** The plain-text report. */
  readonly text: string;
}

/**
 * Writes every estimate to `outdir` (the cloud assembly directory, e.g. `cdk.out`): `cost-estimate.json` (all
 * estimates, amounts unrounded) and `cost-estimate.txt` (each estimate's full report, with assumptions and
 * exclusions). Files of an earlier synth are overwritten.
 * @returns the paths written
 */
export function writeCostEstimates(outdir: string, estimates: readonly CostEstimate[]): CostEstimateFiles {
  fs.mkdirSync(outdir, { recursive: true });
  const json = path.join(outdir, COST_ESTIMATE_JSON);
  const text = path.join(outdir, COST_ESTIMATE_TXT);
  const note = estimates.length > 0 ? costEstimateHeadline(estimates[0]) : 'ESTIMATE, not a quote: no environment was estimated.';
  fs.writeFileSync(json, `${JSON.stringify({ note, estimates }, undefined, 2)}\n`);
  fs.writeFileSync(text, `${estimates.map(e => formatCostEstimate(e)).join('\n\n')}\n`);
  return { json, text };
}
