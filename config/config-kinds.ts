// The kinds of config file polegate reads. Apart from detect-kind.ts, which needs a YAML parser, so
// that registering `polegate validate --kind` at start-up loads none.
export const CONFIG_KINDS = ['manifest', 'profile', 'cloud'] as const;
export type ConfigKind = (typeof CONFIG_KINDS)[number];
