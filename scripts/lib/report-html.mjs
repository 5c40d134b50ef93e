/**
 * The portfolio report as one self-contained HTML file: figures and tables from a
 * getPortfolioReport answer (and, optionally, a simulatePolicy answer), charts drawn by Apache
 * ECharts on the server and embedded as SVG (`renderer: "svg", ssr: true`). No script, no
 * stylesheet or font from elsewhere: the file opens offline in any browser.
 *
 * Charts (each a <figure data-chart="…"> holding one <svg>): aging stack, exposure by class over
 * time, class migration heat map, DSO / CEI trend, and the policy what-if.
 */
import * as echarts from "echarts";

export const CHARTS = [
  { id: "aging", title: "Receivables by age" },
  { id: "exposure", title: "Exposure by class over time" },
  { id: "migration", title: "Class migration" },
  { id: "collection", title: "DSO and CEI" },
  { id: "whatif", title: "Policy what-if" },
];

const CLASSES = ["premium", "standard", "risky"];
const CLASS_COLOURS = { premium: "#2f7d4f", standard: "#3f6fb5", risky: "#c0392b" };
/** @type {Array<[key: string, label: string, colour: string]>} */
const AGING = [
  ["current", "Not yet due", "#2f7d4f"],
  ["d1_30", "1–30 days", "#a4c96b"],
  ["d31_60", "31–60 days", "#f2c14e"],
  ["d61_90", "61–90 days", "#e8833a"],
  ["d90plus", "Over 90 days", "#c0392b"],
  ["disputed", "Disputed", "#7f6a9e"],
];
const WIDTH = 720;
const HEIGHT = 320;
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

const escape = (s) =>
  String(s ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );

/** Minor units of a currency → major units (ISO 4217 digits as the runtime knows them). */
export function digitsOf(currency) {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}
const major = (minor, currency) => minor / 10 ** digitsOf(currency);
const money = (minor, currency) =>
  minor === null || minor === undefined
    ? "—"
    : `${currency} ${major(minor, currency).toLocaleString("en-US", { maximumFractionDigits: 0 })}`;
const compact = (minor, currency) => {
  const v = major(minor, currency);
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(0)}k`;
  return v.toFixed(0);
};
const days = (d) => (d === null || d === undefined ? "—" : `${d.toFixed(1)} d`);
const pct = (p) => (p === null || p === undefined ? "—" : `${p.toFixed(1)} %`);
const num = (n) => (n === null || n === undefined ? "—" : n.toLocaleString("en-US"));

/**
 * Text widths for the layout (legends, labels): without a canvas, ECharts on the server guesses
 * them too narrow and legend entries overlap. Proportional estimate per character of a
 * sans-serif font: narrow letters, wide capitals and digits, full-width CJK.
 */
echarts.setPlatformAPI({
  measureText(text, font) {
    const size = Number(/(\d+(?:\.\d+)?)px/.exec(font ?? "")?.[1] ?? 12);
    const bold = /bold|[6-9]00/.test(font ?? "");
    let em = 0;
    for (const ch of String(text ?? "")) {
      if (/[iljtf.,:;'|!() ]/.test(ch)) em += 0.3;
      else if (/[mwMW@%]/.test(ch)) em += 0.85;
      else if (/[A-Z0-9]/.test(ch)) em += 0.64;
      else if (ch.charCodeAt(0) > 0x2e80) em += 1;
      else em += 0.53;
    }
    return { width: em * size * (bold ? 1.06 : 1) };
  },
});

/** One chart as an SVG string (server-side rendering: no DOM, no animation). */
export function chartSvg(option, { width = WIDTH, height = HEIGHT } = {}) {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: FONT }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** The months of the trend: each snapshot, then the report's own moment ("now"). */
export function trendPoints(report) {
  const history = (report.history ?? []).map((h) => ({ label: h.period, demo: h.source === "demo", figures: h }));
  return [...history, { label: `${report.period} (now)`, demo: false, figures: report }];
}

function agingChart(points, currency) {
  return chartSvg({
    title: {
      text: "Receivables by age",
      subtext: `${currency}, stacked; disputed amounts apart`,
      left: 8,
      textStyle: { fontSize: 14 },
    },
    legend: { top: 54, left: 8, itemWidth: 12, itemHeight: 10, textStyle: { fontSize: 11 } },
    grid: { left: 64, right: 16, top: 92, bottom: 40 },
    xAxis: { type: "category", data: points.map((p) => p.label), axisLabel: { fontSize: 10, rotate: 30 } },
    yAxis: {
      type: "value",
      min: 0,
      axisLabel: { fontSize: 10, formatter: (v) => compact(v * 10 ** digitsOf(currency), currency) },
    },
    series: AGING.map(([key, name, color]) => ({
      name,
      type: "bar",
      stack: "aging",
      itemStyle: { color },
      data: points.map((p) => major(p.figures.aging?.[key] ?? 0, currency)),
    })),
  });
}

function exposureChart(points, currency) {
  return chartSvg({
    title: {
      text: "Exposure by class over time",
      subtext: `${currency}; the line is the credit limits`,
      left: 8,
      textStyle: { fontSize: 14 },
    },
    legend: { top: 54, left: 8, itemWidth: 12, itemHeight: 10, textStyle: { fontSize: 11 } },
    grid: { left: 64, right: 16, top: 92, bottom: 40 },
    xAxis: { type: "category", data: points.map((p) => p.label), axisLabel: { fontSize: 10, rotate: 30 } },
    yAxis: {
      type: "value",
      min: 0,
      axisLabel: { fontSize: 10, formatter: (v) => compact(v * 10 ** digitsOf(currency), currency) },
    },
    series: [
      ...CLASSES.map((c) => ({
        name: c,
        type: "bar",
        stack: "exposure",
        itemStyle: { color: CLASS_COLOURS[c] },
        data: points.map((p) => major(p.figures.byTier?.[c]?.exposure ?? 0, currency)),
      })),
      {
        name: "credit limits",
        type: "line",
        symbol: "circle",
        symbolSize: 5,
        lineStyle: { color: "#555", type: "dashed" },
        itemStyle: { color: "#555" },
        data: points.map((p) => major(p.figures.totals?.creditLimit ?? 0, currency)),
      },
    ],
  });
}

/** A 3×3 heat map of a migration matrix (rows: from, columns: to). */
function heatMap(matrix, { title, subtext, fromName, toName }) {
  const data = [];
  let max = 1;
  CLASSES.forEach((from, y) =>
    CLASSES.forEach((to, x) => {
      const v = matrix?.[from]?.[to] ?? 0;
      max = Math.max(max, v);
      data.push([x, y, v]);
    }),
  );
  return chartSvg({
    title: { text: title, subtext, left: 8, textStyle: { fontSize: 14 } },
    grid: { left: 110, right: 90, top: 70, bottom: 50 },
    xAxis: {
      type: "category",
      data: CLASSES,
      name: toName,
      nameLocation: "middle",
      nameGap: 28,
      splitArea: { show: true },
    },
    yAxis: {
      type: "category",
      data: CLASSES,
      name: fromName,
      nameLocation: "middle",
      nameGap: 80,
      inverse: true,
      splitArea: { show: true },
    },
    visualMap: {
      min: 0,
      max,
      calculable: false,
      orient: "vertical",
      right: 8,
      top: "middle",
      itemHeight: 120,
      inRange: { color: ["#f4f7fb", "#9ec1e8", "#1f4e8c"] },
      textStyle: { fontSize: 10 },
    },
    series: [
      {
        type: "heatmap",
        data,
        label: { show: true, fontSize: 14 },
        itemStyle: { borderColor: "#fff", borderWidth: 2 },
      },
    ],
  });
}

/** The newest month whose reviews moved anyone: the report's own, else the history's. */
export function latestMigration(report) {
  if (report.migration?.reviewed > 0) return report.migration;
  for (const h of [...(report.history ?? [])].reverse()) if (h.migration?.reviewed > 0) return h.migration;
  return report.migration ?? null;
}

/** The class migrations of the trend's months added up (each month's reviews once). */
export function migrationOverTrend(report) {
  const months = new Map();
  for (const h of report.history ?? []) if (h.migration) months.set(h.migration.period, h.migration);
  if (report.migration) months.set(report.migration.period, report.migration);
  /** @type {Record<string, Record<string, number>>} */
  const matrix = Object.fromEntries(CLASSES.map((f) => [f, Object.fromEntries(CLASSES.map((t) => [t, 0]))]));
  let reviewed = 0;
  for (const m of months.values()) {
    reviewed += m.reviewed;
    for (const f of CLASSES)
      for (const t of CLASSES) /** @type {Record<string, number>} */ (matrix[f])[t] += m.matrix?.[f]?.[t] ?? 0;
  }
  const periods = [...months.keys()].sort();
  return { matrix, reviewed, from: periods[0] ?? null, to: periods.at(-1) ?? null, months: periods.length };
}

function migrationChart(report) {
  const m = migrationOverTrend(report);
  const latest = latestMigration(report);
  const moved = (x) =>
    x ? CLASSES.reduce((n, f) => n + CLASSES.reduce((k, t) => k + (f === t ? 0 : (x.matrix?.[f]?.[t] ?? 0)), 0), 0) : 0;
  return heatMap(m.matrix, {
    title: "Class migration",
    subtext: m.months
      ? `monthly reviews ${m.from} – ${m.to}: ${m.reviewed} reviews, ${moved(m)} moves; latest month (${latest?.period}) ${moved(latest)} moves`
      : "no reviews yet",
    fromName: "class before",
    toName: "class after the review",
  });
}

function collectionChart(points) {
  return chartSvg({
    title: {
      text: "DSO and CEI",
      subtext: "days (left); collection effectiveness % (right)",
      left: 8,
      textStyle: { fontSize: 14 },
    },
    legend: { top: 54, left: 8, itemWidth: 12, itemHeight: 10, textStyle: { fontSize: 11 } },
    grid: { left: 48, right: 48, top: 100, bottom: 40 },
    xAxis: { type: "category", data: points.map((p) => p.label), axisLabel: { fontSize: 10, rotate: 30 } },
    yAxis: [
      { type: "value", name: "days", axisLabel: { fontSize: 10 } },
      { type: "value", name: "CEI %", min: 0, max: 100, axisLabel: { fontSize: 10 }, splitLine: { show: false } },
    ],
    series: [
      {
        name: "DSO",
        type: "line",
        symbol: "circle",
        itemStyle: { color: "#1f4e8c" },
        data: points.map((p) => p.figures.dso ?? null),
      },
      {
        name: "best possible DSO",
        type: "line",
        symbol: "circle",
        itemStyle: { color: "#2f7d4f" },
        data: points.map((p) => p.figures.bestPossibleDso ?? null),
      },
      {
        name: "days delinquent",
        type: "bar",
        itemStyle: { color: "#e8833a" },
        barWidth: 10,
        data: points.map((p) => p.figures.averageDaysDelinquent ?? null),
      },
      {
        name: "CEI",
        type: "line",
        yAxisIndex: 1,
        symbol: "diamond",
        lineStyle: { type: "dashed" },
        itemStyle: { color: "#7f6a9e" },
        data: points.map((p) => p.figures.cei?.value ?? null),
      },
    ],
  });
}

function whatIfChart(whatIf, currency) {
  const r = whatIf.result;
  const lines = [...r.customers].reverse();
  const ACTION_COLOURS = { cut: "#c0392b", propose_cut: "#e8833a", propose_increase: "#2f7d4f", none: "#888" };
  const height = Math.max(HEIGHT, 110 + lines.length * 28);
  return chartSvg(
    {
      title: {
        text: "Policy what-if: limit change by customer",
        subtext: `${currency}; candidate against the policy in force (${r.changes.join(", ") || "no change"})`,
        left: 8,
        textStyle: { fontSize: 14 },
        subtextStyle: { width: WIDTH - 20, overflow: "truncate" },
      },
      grid: { left: 200, right: 40, top: 70, bottom: 30 },
      xAxis: {
        type: "value",
        axisLabel: { fontSize: 10, formatter: (v) => compact(v * 10 ** digitsOf(currency), currency) },
      },
      yAxis: {
        type: "category",
        data: lines.length ? lines.map((l) => l.name) : ["(no customer treated differently)"],
        axisLabel: { fontSize: 11, width: 180, overflow: "truncate" },
      },
      series: [
        {
          type: "bar",
          data: lines.length
            ? lines.map((l) => ({
                value: major(l.limit.changeInBase ?? 0, currency),
                itemStyle: { color: ACTION_COLOURS[l.limit.action] ?? "#888" },
              }))
            : [0],
          label: {
            show: true,
            position: "right",
            fontSize: 10,
            formatter: (p) => (p.value === 0 ? "" : compact(p.value * 10 ** digitsOf(currency), currency)),
          },
        },
      ],
    },
    { height },
  );
}

function table(headers, rows, { className = "" } = {}) {
  return `<table class="${className}"><thead><tr>${headers.map((h) => `<th>${escape(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

function kpi(label, value, note = "") {
  return `<div class="kpi"><div class="kpi-label">${escape(label)}</div><div class="kpi-value">${value}</div>${note ? `<div class="kpi-note">${escape(note)}</div>` : ""}</div>`;
}

function whatIfSection(whatIf, currency) {
  if (!whatIf) {
    return `<figure data-chart="whatif" class="empty"><p>No what-if in this report: <code>npm run report -- --policy candidate.json</code> adds one (a partial policy, e.g. <code>{"limits":{"gradeCaps":{"B":2500000}}}</code>).</p></figure>`;
  }
  if (!whatIf.result) {
    return `<figure data-chart="whatif" class="empty"><p>The what-if runs as a job over a large portfolio: <code>simulations/${escape(whatIf.simulationId)}</code> (status ${escape(whatIf.status)}).</p></figure>`;
  }
  const r = whatIf.result;
  const rows = r.customers.map((c) => [
    escape(c.name),
    `${escape(c.tier.current)} → ${escape(c.tier.candidate)}`,
    `${money(c.limit.current, c.currency)} → ${money(c.limit.candidate, c.currency)}`,
    `<span class="${c.limit.change < 0 ? "down" : c.limit.change > 0 ? "up" : ""}">${money(c.limit.changeInBase, currency)}</span>`,
    escape(c.limit.action.replace("_", " ")),
    c.overLimit ? "over limit" : "",
    c.status.candidate !== c.status.current ? `${escape(c.status.current)} → ${escape(c.status.candidate)}` : "",
    c.blockedOrders.orders ? `${c.blockedOrders.orders} (${money(c.blockedOrders.amount, c.currency)})` : "",
  ]);
  return `<figure data-chart="whatif">${whatIfChart(whatIf, currency)}</figure>
  <div class="kpis">
    ${kpi("Limits falling", `${r.limits.fall.customers} · ${money(r.limits.fall.amount, currency)}`)}
    ${kpi("Limits rising", `${r.limits.rise.customers} · ${money(r.limits.rise.amount, currency)}`)}
    ${kpi("Newly over limit", num(r.overLimit.customers))}
    ${kpi("Newly on hold / suspended", `${r.onHold.customers} / ${r.onHold.suspended}`)}
    ${kpi("Orders (30 days) it would block", `${r.blockedOrders.orders} · ${money(r.blockedOrders.amount, currency)}`, `${r.blockedOrders.released} it would let through`)}
    ${kpi("Evaluated", `${r.evaluated}${r.sample ? ` (largest exposures, ${pct((r.sample.exposureShare ?? 0) * 100)} of exposure)` : ""}`)}
  </div>
  <figure data-chart="whatif-migration" class="secondary">${heatMap(r.migration, {
    title: "What-if class migration",
    subtext: "class under the policy in force → under the candidate",
    fromName: "policy in force",
    toName: "candidate",
  })}</figure>
  ${table(["Customer", "Class", "Limit (own currency)", `Change (${currency})`, "Review action", "", "Status", "Orders blocked (30 d)"], rows, { className: "wide" })}`;
}

/** A saved file: a report, a {report, whatIf} bundle, or one stored snapshot (shown as a report of its month). */
export function fromSaved(data) {
  if (data && typeof data === "object" && data.report) return { report: data.report, whatIf: data.whatIf ?? null };
  if (data && typeof data === "object" && Array.isArray(data.history)) return { report: data, whatIf: null };
  if (data && typeof data === "object" && typeof data.period === "string" && data.totals) {
    const takenAt =
      typeof data.takenAt === "number"
        ? new Date(data.takenAt).toISOString()
        : String(data.takenAt?._seconds ? new Date(data.takenAt._seconds * 1000).toISOString() : data.takenAt);
    return {
      report: {
        ...data,
        asOf: takenAt,
        fx: { asOf: "" },
        history: [],
        topExposures: [],
        groups: { ...(data.groups ?? {}), top: [] },
        byCurrency: data.byCurrency ?? [],
      },
      whatIf: null,
    };
  }
  throw new Error("--snapshot: not a saved report, report bundle or reports/{yyyy-mm} snapshot");
}

/**
 * @param {{ report: any, whatIf?: any, generatedAt?: string, source?: string }} input
 * @returns {string} the HTML document
 */
export function renderReportHtml({ report, whatIf = null, generatedAt = new Date().toISOString(), source = "" }) {
  const cur = report.baseCurrency;
  const points = trendPoints(report);
  const demoMonths = points.filter((p) => p.demo).length;
  const t = report.totals;
  const bySlice = (slices) =>
    Object.entries(slices ?? {}).map(([k, s]) => [
      escape(k),
      num(s.customers),
      money(s.exposure, cur),
      money(s.creditLimit, cur),
      s.creditLimit > 0 ? pct((s.exposure / s.creditLimit) * 100) : "—",
    ]);
  const ob = report.orderBlocks ?? {};
  const ap = report.applications ?? {};
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portfolio report ${escape(report.asOf.slice(0, 10))}</title>
<style>
  body { font-family: ${FONT}; margin: 0; color: #1d2433; background: #f6f7f9; }
  header { background: #1f2d44; color: #fff; padding: 20px 32px; }
  header h1 { margin: 0 0 4px; font-size: 22px; }
  header p { margin: 0; opacity: .8; font-size: 13px; }
  main { padding: 16px 32px 40px; max-width: 1640px; }
  section { margin-top: 20px; }
  h2 { font-size: 17px; margin: 0 0 10px; border-bottom: 1px solid #d9dde5; padding-bottom: 4px; }
  .kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; margin: 10px 0; }
  .kpi { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; padding: 10px 12px; }
  .kpi-label { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: #5b6576; }
  .kpi-value { font-size: 19px; font-weight: 600; margin-top: 2px; }
  .kpi-note { font-size: 11px; color: #5b6576; margin-top: 2px; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(${WIDTH + 20}px, 1fr)); gap: 14px; }
  figure { margin: 0; background: #fff; border: 1px solid #dde1e8; border-radius: 6px; padding: 8px; overflow-x: auto; }
  figure.empty p { padding: 12px; color: #5b6576; }
  figure svg { display: block; max-width: 100%; height: auto; }
  .tables { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 14px; }
  table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; border: 1px solid #dde1e8; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eceef2; }
  th { background: #f0f2f6; font-weight: 600; font-size: 12px; }
  td:not(:first-child) { font-variant-numeric: tabular-nums; }
  table.wide { margin-top: 10px; }
  .down { color: #c0392b; } .up { color: #2f7d4f; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; font-size: 13px; background: #fff; border: 1px solid #dde1e8; padding: 10px 14px; border-radius: 6px; }
  dt { font-weight: 600; } dd { margin: 0; }
  .note { font-size: 12px; color: #5b6576; }
  code { background: #eef1f5; padding: 1px 4px; border-radius: 3px; }
</style>
</head>
<body>
<header>
  <h1>Portfolio report — ${escape(report.asOf.slice(0, 10))}</h1>
  <p>As of ${escape(report.asOf)} · figures in ${escape(cur)} (FX table of ${escape(report.fx?.asOf ?? "")}) · ${escape(source)} · generated ${escape(generatedAt)}</p>
</header>
<main>
<section>
  <div class="kpis">
    ${kpi("Exposure", money(t.exposure, cur), `${num(t.customers)} customers`)}
    ${kpi("Credit limits", money(t.creditLimit, cur), t.creditLimit > 0 ? `${pct((t.exposure / t.creditLimit) * 100)} used` : "")}
    ${kpi("Receivables", money(t.openInvoiceBalance, cur), `disputed ${money(report.aging.disputed, cur)}`)}
    ${kpi("DSO", days(report.dso), `best possible ${days(report.bestPossibleDso)}`)}
    ${kpi("Average days delinquent", days(report.averageDaysDelinquent))}
    ${kpi("CEI", pct(report.cei?.value), report.cei ? `over ${report.cei.days} days since the last snapshot` : "needs a snapshot a day old")}
    ${kpi("Over limit", `${num(report.overLimit?.customers)} customers`, money(report.overLimit?.amountOver, cur))}
    ${kpi("Blocked orders open", num(ob.open), `${num(ob.blocked)} blocked, ${num(ob.released)} released, ${num(ob.rejected)} rejected this month`)}
    ${kpi("Release turnaround", ob.averageReleaseHours === null || ob.averageReleaseHours === undefined ? "—" : `${ob.averageReleaseHours} h`, `${num(ob.timedDecisions)} decisions this month`)}
    ${kpi("Approval turnaround", ap.averageDecisionDays === null || ap.averageDecisionDays === undefined ? "—" : `${ap.averageDecisionDays} d`, `${num(ap.approved)} approved, ${num(ap.rejected)} rejected, ${num(ap.pending)} pending`)}
  </div>
</section>
<section>
  <h2>Trends</h2>
  <div class="charts">
    <figure data-chart="aging">${agingChart(points, cur)}</figure>
    <figure data-chart="exposure">${exposureChart(points, cur)}</figure>
    <figure data-chart="migration">${migrationChart(report)}</figure>
    <figure data-chart="collection">${collectionChart(points)}</figure>
  </div>
  <p class="note">${points.length - 1} monthly snapshots (reports/{yyyy-mm}) and the report's own moment.${demoMonths ? ` ${demoMonths} of them are the demo seed's history (source "demo"), not the monthly job's.` : ""}</p>
</section>
<section>
  <h2>What-if</h2>
  ${whatIfSection(whatIf, cur)}
</section>
<section>
  <h2>Portfolio</h2>
  <div class="tables">
    ${table(["Class", "Customers", "Exposure", "Limits", "Used"], bySlice(report.byTier))}
    ${table(["Grade", "Customers", "Exposure", "Limits", "Used"], bySlice(report.byGrade))}
    ${table(
      ["Currency", "Customers", "Exposure (own)", `Exposure (${cur})`, "DSO"],
      (report.byCurrency ?? []).map((c) => [
        escape(c.currency),
        num(c.customers),
        money(c.exposure, c.currency),
        money(c.inBase?.exposure ?? c.exposureInBase, cur),
        days(c.dso),
      ]),
    )}
    ${table(
      ["Credit group", "Members", "Group limit", "Exposure", "Available"],
      (report.groups?.top ?? []).map((g) => [
        escape(g.name),
        num(g.members),
        money(g.groupLimit, g.currency),
        money(g.exposure, g.currency),
        money(g.availableCredit, g.currency),
      ]),
    )}
    ${table(
      ["Top exposure", "Class", "Exposure", `In ${cur}`, "Limit"],
      (report.topExposures ?? []).map((e) => [
        escape(e.name),
        `${escape(e.tier)} / ${escape(e.grade)}`,
        money(e.exposure, e.currency),
        money(e.exposureInBase, cur),
        money(e.creditLimit, e.currency),
      ]),
    )}
    ${table(
      ["Aging", cur],
      AGING.map(([k, name]) => [escape(name), money(report.aging?.[k], cur)]),
    )}
  </div>
</section>
<section>
  <h2>How each figure is computed</h2>
  <dl>
    <dt>DSO</dt><dd>receivables ÷ (12-month sales ÷ 365)</dd>
    <dt>Best possible DSO</dt><dd>receivables not yet due ÷ (12-month sales ÷ 365)</dd>
    <dt>Average days delinquent</dt><dd>DSO − best possible DSO</dd>
    <dt>CEI</dt><dd>(B + S − E) ÷ (B + S − C) × 100: B receivables at the previous snapshot, E now, C not yet due now, S credit sales in between (12-month volume × days ÷ 365)</dd>
    <dt>Release turnaround</dt><dd>mean hours from an order's block to a person's release or rejection, this month</dd>
    <dt>Approval turnaround</dt><dd>mean days from an application's submission to its decision, this month</dd>
    <dt>Class migration</dt><dd>customers reviewed in a month, by class at the review before and the class that review gave</dd>
    <dt>What-if</dt><dd>each customer reviewed under the policy in force and under the candidate at the same moment; only the differences count</dd>
  </dl>
</section>
</main>
</body>
</html>
`;
}
