"""`gateway import`: files of finished calls from switches, fed to `ingest.sessions`
(spec docs/ingest.md, section 3).

The pipeline, one module each: `lines` reads the file in binary, one physical line at a
time, and decodes it; a format (`asterisk`, `freeswitch`, `jsonl`) turns lines into
session records; `sender` sends them in batches through the same handler as the API,
so validation, idempotency and tenancy are the API's; `rejects` writes the refused
lines; `command` ties them together with a progress bar and the summary line.

Choices the spec leaves open:
- A CSV record is one physical line. Neither switch escapes a line break inside a
  quoted field, and such a field is rare; it shows as a cut quote and the line (and
  the fragment after it) is rejected with that reason. Quoted commas and doubled quotes
  are read by the csv module.
- Reference ids: an account code becomes an account whose id is derived from the
  tenant and the code (`ids.derived_id`), so a re-import, or another file of the same
  switch, names the same account without a lookup. The `--equipment` name is looked up
  among the tenant's equipment, and a new one gets an id derived the same way.
- Legs of one Asterisk `linkedid` are gathered while they keep coming (`grouping`) and
  sent as one session once the group is complete; see `asterisk` for the window.
"""
