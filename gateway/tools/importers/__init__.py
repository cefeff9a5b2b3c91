"""`gateway import`: files of finished calls from switches, fed to `ingest.sessions`
(spec docs/ingest.md, section 3).

The pipeline, one module each: `lines` reads the file in binary, one physical line at a
time, and decodes it (`csvline` decodes the fields of an 8-bit line); a format
(`asterisk`, `freeswitch`, `jsonl`) turns lines into session records; `registry` knows
which lines earlier imports stored (refusing, or with `--replace` replacing, an import
under other options); `sender` stores the rest in batches through `ingest.sessions`' own
batch machinery, so validation, idempotency and tenancy are the API's; `outcome` counts
and writes the refused lines; `command` ties them together with a progress bar, the
summary line and the exit status.

Choices the spec leaves open:
- A CSV record is one physical line. Neither switch escapes a line break inside a
  quoted field, and such a field is rare; it shows as a cut quote and the line (and
  the fragment after it) is rejected with that reason. Quoted commas and doubled quotes
  are read by the csv module.
- Reference ids: an account code becomes an account whose id is derived from the
  tenant and the code (`ids.derived_id`), so a re-import, or another file of the same
  switch, names the same account without a lookup. The `--equipment` name is looked up
  among the tenant's equipment, and a new one gets an id derived the same way.
- Lines of one Asterisk `linkedid` are gathered while they keep coming (`grouping`) and
  sent as one session once the group is complete; see `asterisk` for the window.
- An empty file (no lines) exits 0: there was nothing to reject.
- `jsonl` imports are not remembered: its records carry their own ids, and the ingest
  rules decide what a record sent again does.
"""
