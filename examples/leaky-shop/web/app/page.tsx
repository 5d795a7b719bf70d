import { cookies } from "next/headers";
import { PointsWidget } from "@/components/PointsWidget";
import { perkamo, type Profile } from "@/lib/perkamo.server";
import { tierLabel } from "@/lib/format";
import { RedeemButton } from "./rewards/RedeemButton";

// Server component: it may read the secret key, the browser never sees this code.
export default async function Home() {
  const memberId = cookies().get("member_id")?.value ?? "guest";
  const profile = await perkamo<Profile>(`/v1/profile/${encodeURIComponent(memberId)}`);
  const space = process.env.PERKAMO_SPACE;

  return (
    <section>
      <h1>Welcome back</h1>
      <p>
        {tierLabel(profile.tier)} member of {space}
      </p>
      <PointsWidget memberId={memberId} />
      <h2>Featured reward</h2>
      <RedeemButton memberId={memberId} rewardId="free-shipping" />
    </section>
  );
}
