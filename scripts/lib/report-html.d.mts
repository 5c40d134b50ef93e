/** The charts of the report: each a <figure data-chart="id"> holding one SVG. */
export declare const CHARTS: ReadonlyArray<{ id: string; title: string }>;
/** One self-contained HTML document: the report (a getPortfolioReport answer) and, optionally, a simulatePolicy answer. */
export declare function renderReportHtml(input: {
  report: unknown;
  whatIf?: unknown;
  generatedAt?: string;
  source?: string;
}): string;
export declare function chartSvg(option: Record<string, unknown>, size?: { width?: number; height?: number }): string;
export declare function trendPoints(report: unknown): Array<{ label: string; demo: boolean; figures: unknown }>;
export declare function latestMigration(report: unknown): unknown;
export declare function digitsOf(currency: string): number;
/** A saved file as what to render: a report, a {report, whatIf} bundle, or one stored reports/{yyyy-mm} snapshot. */
export declare function fromSaved(data: unknown): {
  report: Record<string, unknown>;
  whatIf: Record<string, unknown> | null;
};
