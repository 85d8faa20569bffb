import type { ProviderName } from '../provider-names.ts';

/** Plans decide quota (prompts per day) and entitled providers. */
export const PLANS = ['starter', 'growth', 'pro', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

export const SUBSCRIPTION_STATUSES = ['active', 'trialing', 'past_due', 'canceled'] as const;
export const ELIGIBLE_SUBSCRIPTION_STATUSES = ['active', 'trialing'] as const;

/** null: unlimited. */
export const PLAN_QUOTA: Record<Plan, number | null> = {
  starter: 25,
  growth: 100,
  pro: 300,
  enterprise: null,
};

export const PLAN_PROVIDERS: Record<Plan, readonly ProviderName[]> = {
  starter: ['openai', 'perplexity'],
  growth: ['openai', 'anthropic', 'gemini', 'perplexity'],
  pro: ['openai', 'anthropic', 'gemini', 'perplexity'],
  enterprise: ['openai', 'anthropic', 'gemini', 'perplexity'],
};
