"use client";

import { useState } from "react";

type Session = { memberId: string; tier: string; token: string };

/** Signup form; on success it tells Perkamo about the new member through our own proxy. */
export function SignupForm({ onDone }: { onDone: (session: Session) => void }) {
  const [email, setEmail] = useState("");
  const [birthDate, setBirthDate] = useState("");

  async function identify(session: Session) {
    // Same-origin proxy (/v1/* is forwarded by the backend), so no key in the browser.
    await fetch("/v1/identify", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        userId: session.memberId,
        traits: {
          tier: session.tier,
          email,
          dateOfBirth: birthDate,
          welcomeUrl: `${window.location.origin}/welcome?session_token=${session.token}`,
        },
      }),
    });
    onDone(session);
  }

  return (
    <form onSubmit={(e) => { e.preventDefault(); /* signup, then identify(session) */ }}>
      <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      <input type="date" value={birthDate} onChange={(e) => setBirthDate(e.target.value)} />
      <button type="submit">Join</button>
    </form>
  );
}
