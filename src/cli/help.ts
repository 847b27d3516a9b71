/** `custos help`: every command, the global options and the exit codes (docs/cli.md says more). */
export const HELP = `custos — accountable automation for non-human identities

usage: custos <command> [options]

getting started
  quickstart                        what \`npm start\` runs: a narrated scenario end to end (docs/quickstart.md)
  init [--origin NAME]              create the log key and the ledger; print the verifier key
  status [--json]                   show the store and the ledger
  serve [--host H] [--port P]       the HTTP API, with timers, alert delivery and crash recovery

people and keys
  keys create|register [--key-dir DIR]
                                    an approver's Ed25519 key, made here (0600); only its public half is sent
  keys list [--key-dir DIR]         the signing keys on this machine
  tokens bootstrap --for ADMIN [--out FILE]
                                    the first admin API token (local store only)
  tokens issue --for P [--scopes r,..] [--days N] [--out FILE] | list [--for P] | revoke ID

requests and runs
  request --action A (--identity ID | --new NAME --kind K --system S [--tags T,..])
          [--entitlements E,..] [--duration MIN] --justification TEXT [--secret-out FILE|-]
  request --file REQUEST.yaml --justification TEXT [...]
                                    file a request; an automatic route executes and verifies it now
  approve RUN [--rationale R]       sign the run's request digest with your local key and approve
  deny RUN --rationale R            sign and deny
  runs list [--state S] [--requester P] | show RUN
  runs advance|resume RUN [--secret-out FILE|-] | rollback RUN | abort RUN --reason R
  exceptions request --identity ID --control C [--compensating-control CC] --duration MIN --justification T
  exceptions list [--identity ID] [--state S]
  break-glass request --identity ID --entitlements E,.. --duration MIN --justification T
  break-glass list | review GRANT --verdict appropriate|inappropriate --rationale R
  alerts list [--state S] [--run RUN | --subject KIND:ID]

inventory and policy
  systems|identities|principals list [--after ID] [--limit N] | show ID | import FILE [--dry-run]
  workflows lint DIR | test DIR | diff OLD NEW | deploy DIR | approve|reject HASH [--rationale R]
  workflows versions | show HASH | decide --request FILE [--bundle DIR|HASH] [--record]

ledger and evidence
  ledger verify [--key VKEY]        recompute and check the live ledger
  ledger checkpoint                 sign a checkpoint and collect witness cosignatures
  ledger witness add VKEY [--url URL]
  ledger export --out DIR [--from N --to M]
  ledger proof --index N | prune --below N
  verify DIR [--key VKEY | --key-file FILE] [--witness VKEY,...]
                                    verify an export offline
  witness init|add-log|serve|cosign|status

global options
  --as PRINCIPAL      who acts, locally (env CUSTOS_ACTOR)
  --server URL        talk to a Custos server (env CUSTOS_SERVER); the API token comes from CUSTOS_TOKEN
  --json              machine-readable output on stdout
  --data-dir DIR      the local store (env CUSTOS_DATA_DIR, default ./.custos)
  --database-url URL  PostgreSQL instead of SQLite (env CUSTOS_DATABASE_URL)
  --key-dir DIR       approver keys (env CUSTOS_KEY_DIR, default ~/.config/custos/keys)

exit codes
  0 ok
  1 verification failed, or the outcome is negative (request denied, run paused, rejected, ...)
  2 bad usage or input (unknown run, wrong state, invalid flag)
  3 other error: refused (not authenticated, not allowed, separation of duties), store or server
    unavailable, I/O. Every error names its stable code on stderr: \`error CODE: message\`
`;
