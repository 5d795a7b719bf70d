"""PG102 in Next.js pages: data functions run on the server, props reach the page."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import scan, write_tree

PAGE = '''export async function getServerSideProps() {
  const perkamo = new Perkamo(process.env.PERKAMO_SECRET_KEY!);
  return { props: { tiers: await perkamo.tiers() } };
}
export const getStaticProps = async () => ({ props: { k: process.env.PERKAMO_SECRET_KEY } });
export default function Page() { return process.env.PERKAMO_SECRET_KEY }
'''


def test_reads_in_data_functions_are_server_side_but_props_are_not(tmp_path: Path) -> None:
    write_tree(tmp_path, {"package.json": '{"dependencies": {"next": "14.2.3"}}',
                          "pages/rewards.tsx": PAGE})
    found = [(f.rule, f.line) for f in scan(tmp_path).findings]
    assert found == [("PG102", 5), ("PG102", 6)]
