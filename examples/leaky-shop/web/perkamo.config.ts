import type { PerkamoConfig } from "@perkamo/browser-sdk";

// Read by `perkamo config push` together with ../perkamo.yaml.
export default {
  space: "leaky-shop",
  publishableKey: process.env.NEXT_PUBLIC_PERKAMO_PUBLISHABLE_KEY,
  allowedOrigins: [
    "https://leaky-shop.com",
    "https://www.leaky-shop.com/rewards",
    "http://partners.leaky-shop.com",
  ],
} satisfies PerkamoConfig;
