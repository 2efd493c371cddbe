// parse-prometheus-text-format ships no types: it turns Prometheus text exposition into metric families.
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
