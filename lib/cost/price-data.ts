// The shipped price file, as a typed PriceList. Only `defaultPriceList()` requires this module, so the JSON is parsed
// on first use rather than when the package is imported. The static import makes tsc copy the JSON into dist/.
import type { PriceList } from './prices';
import data from './prices-us-east-1.json';

/** The list prices of us-east-1 from `prices-us-east-1.json`. */
export const PRICES_US_EAST_1: PriceList = data;
