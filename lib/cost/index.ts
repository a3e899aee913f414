// Monthly cost estimates of LLMOps environments from their configuration and synthesized templates.
export * from './prices';
export * from './cost-estimate';
export * from './cost-report';
export { formatMoney } from './money';
