# Adopt perkamo-guard on a repository that already has findings.
# 1. Look at what is there today, and rotate every live key it shows:
#    a baseline hides a leaked key from later runs, it does not revoke it.
perkamo-guard check --statistics . || true
# 2. Record today's findings and commit the baseline.
perkamo-guard baseline --output .perkamo-guard-baseline.json .
git add .perkamo-guard-baseline.json
git commit -m "Adopt perkamo-guard with a baseline of existing findings"
# 3. From now on, every check reports only new findings.
perkamo-guard check --baseline .perkamo-guard-baseline.json .
