import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Title, Tooltip, type ChartConfiguration } from 'chart.js';
import { element } from './dom.js';
import type { DashboardAnalyticsQuery } from './gql/graphql.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Title, Tooltip);

const COLORS = { messages: '#4f6bed', p50: '#2bb673', p95: '#f29d38', input: '#7a5af8', output: '#ef6a8a' };

type Analytics = DashboardAnalyticsQuery['analytics'];

/**
 * Three charts of Query.analytics: messages per day, run durations (p50, p95) and token usage
 * per day. Each `<figure data-chart>` says in `data-points` how many data points the API gave
 * it, so a reader (or a test) can tell an empty chart from one with data.
 */
export class AnalyticsCharts {
  readonly node = element('section', { className: 'charts', 'data-testid': 'charts' });
  readonly #messages = this.#chart('messages-per-day', 'Messages per day');
  readonly #durations = this.#chart('run-durations', 'Run durations (seconds)');
  readonly #tokens = this.#chart('token-usage', 'Token usage per day');
  readonly #summary = element('p', { className: 'run-summary' });

  constructor() {
    this.node.append(this.#summary);
  }

  show(analytics: Analytics, days: readonly string[]): void {
    const labels = days.map((day) => day.slice(5));
    const perDay = new Map(analytics.messagesPerDay.map((row) => [row.day, row.count]));
    this.#messages.set(analytics.messagesPerDay.length, {
      labels,
      datasets: [{ label: 'Messages', data: days.map((day) => perDay.get(day) ?? 0), backgroundColor: COLORS.messages }],
    });

    const { p50Seconds, p95Seconds, count } = analytics.runDurations;
    this.#durations.set(count, {
      labels: [`${count} completed run${count === 1 ? '' : 's'}`],
      datasets: [
        { label: 'p50', data: [p50Seconds ?? 0], backgroundColor: COLORS.p50 },
        { label: 'p95', data: [p95Seconds ?? 0], backgroundColor: COLORS.p95 },
      ],
    });

    const input = new Map<string, number>();
    const output = new Map<string, number>();
    for (const row of analytics.tokenUsage) {
      input.set(row.day, (input.get(row.day) ?? 0) + row.inputTokens);
      output.set(row.day, (output.get(row.day) ?? 0) + row.outputTokens);
    }
    this.#tokens.set(analytics.tokenUsage.length, {
      labels,
      datasets: [
        { label: 'Input tokens', data: days.map((day) => input.get(day) ?? 0), backgroundColor: COLORS.input, stack: 'tokens' },
        { label: 'Output tokens', data: days.map((day) => output.get(day) ?? 0), backgroundColor: COLORS.output, stack: 'tokens' },
      ],
    });

    const statuses = analytics.runStatusCounts.map((row) => `${row.count} ${row.status.toLowerCase().replace('_', ' ')}`);
    this.#summary.textContent = statuses.length > 0 ? `Runs: ${statuses.join(' · ')}` : 'No runs in this range yet';
  }

  #chart(name: string, title: string) {
    const canvas = element('canvas', { 'data-chart-canvas': name });
    const figure = element('figure', { className: 'chart', 'data-chart': name, 'data-points': '0' }, element('figcaption', {}, title), element('div', { className: 'canvas-box' }, canvas));
    this.node.append(figure);
    const stacked = name === 'token-usage';
    const config: ChartConfiguration<'bar'> = {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        // Drawn at once: no half-grown bars in a screenshot, no timers while idle.
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { position: 'bottom' } },
        scales: { x: { stacked }, y: { beginAtZero: true, stacked } },
      },
    };
    const chart = new Chart(canvas, config);
    return {
      set(points: number, data: ChartConfiguration<'bar'>['data']) {
        chart.data = data;
        chart.update();
        figure.setAttribute('data-points', String(points));
      },
    };
  }
}
