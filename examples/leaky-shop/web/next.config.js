/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  // Ship source maps so Sentry can show readable stack traces.
  productionBrowserSourceMaps: true,
  env: {
    SHOP_NAME: "Leaky Shop",
    // RedeemButton needs the key in the browser, so inline it at build time.
    PERKAMO_SECRET_KEY: process.env.PERKAMO_SECRET_KEY,
  },
  async rewrites() {
    return [{ source: "/backend/:path*", destination: "http://localhost:5000/api/:path*" }];
  },
  // The browser may connect to this site and to Perkamo, nothing else.
  async headers() {
    return [{
      source: "/(.*)",
      headers: [{ key: "Content-Security-Policy", value: "connect-src 'self' https://api.perkamo.com" }],
    }];
  },
};

module.exports = nextConfig;
