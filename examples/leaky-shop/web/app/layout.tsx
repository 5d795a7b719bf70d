import type { ReactNode } from "react";

export const metadata = { title: "Leaky Shop", description: "Shop, earn points, redeem rewards." };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="site-header">{process.env.NEXT_PUBLIC_SHOP_NAME}</header>
        <main>{children}</main>
      </body>
    </html>
  );
}
