"""Reliability and security: the bot survives faults, refuses attacks, and never loses or doubles data.

Every test drives the real bot (over loopback HTTP, or `webex-bot serve` as a process) through signed Slack
requests, with the Webex emulator (strict: requests checked against the official XSD) and the Slack
stand-in; faults come from their fault controls. The matrix, one module per row
(what goes wrong -> what is proven):

test_webex_faults
    Webex slow, HTTP 500/502/503, hanging past the client timeout, truncated XML, 429 and Webex-style
    rate limits, the token endpoint down, rate limited or garbled, an access token rejected mid-command
    -> ack < 3 s, a clear answer (and, where Webex may have acted, that the meeting was looked for),
    another user's command succeeds meanwhile, the same command works once Webex is well, no meeting
    made twice (a create that times out or is garbled after Webex acted is found, not redone), a failed
    cancel or edit leaves the meeting as it was; 25 commands stuck on Webex hold up nobody else
test_database_outage
    PostgreSQL cut and restored (a TCP proxy, never the shared server) -> /readyz 503 then 200,
    commands, connect and callback pages say the database is unavailable, service resumes by itself; a
    create finished while the database is gone still shows its meeting
test_shutdown
    `webex-bot serve` gets SIGTERM with commands in flight -> stops taking requests, finishes them, or
    tells the user what it cut short; SIGKILL then restart -> nothing doubled, `/webex list` shows what
    happened; a form resubmitted after SIGKILL gets its meeting, not a second one
test_slack_faults
    Slack 429 with Retry-After and 5xx on response_url, users.info, views.open, chat.postMessage,
    chat.postEphemeral -> answers arrive once, Retry-After honoured
test_slack_signatures
    no signature, wrong signature, tampered body, older than five minutes, from the future (commands,
    buttons, forms, uninstall and revocation events) -> 401, no side effects
test_oauth_attacks
    forged, replayed, expired and other people's state; a tampered connect token; script in
    error/error_description; a code minted for another client; open redirects through the connect route
    and callback -> refused with an escaped page, nothing linked, only the configured authorize URL is
    ever a redirect target; meeting buttons (/webex/meetings/...) redirect only to the Webex site and
    refuse tampered or crafted links; a card shared in the channel never carries the host sign-in;
    someone else's Connect link finished with one's own Webex account, one account's code with another
    user's state, Sign in with Slack finished by another Slack user or in another browser, an abandoned
    Sign in with Slack step (every policy, SQLite and PostgreSQL) -> the sender holds no link, no tokens
    and no held account, /webex list shows him nothing of the other person's, nothing of theirs reaches
    him in Slack
test_identity_policy
    Webex email equal to the Slack profile's (letter case aside) -> linked with one consent under every
    policy; different or hidden -> refused (refuse), or linked only after Sign in with Slack confirms the
    same Slack user (sign-in-with-slack); cancelled sign-in or unreadable profile -> nothing stored
test_xml_hostile
    topics and agendas with </confName>, ]]>, entities, quotes, right-to-left text and emoji -> stored
    exactly; control characters and 100 kB -> refused at the field; answers with a DOCTYPE, external
    entities (file or network) or an entity bomb -> refused, no file read, no connection made, a clear
    message; a 20 MB answer is cut off, not read whole
test_properties
    hypothesis: clearly written schedule text is read exactly; any parsed topic can be sent; a whole
    meeting survives client -> strict emulator -> client (extends
    tests/unit/domain/test_schedule_text.py and tests/unit/webex/test_webex_xml.py)
test_data_at_rest
    no table holds a token or PKCE verifier in plain text; TOKEN_KEYS rotation with `webex-bot db
    reencrypt` keeps every link working; a wrong, missing or malformed key stops start-up with one line
    and exit status 2
test_secrets_in_logs
    LOG_LEVEL=DEBUG for the bot and every library (in process, and served with access logs) -> no token,
    client secret, signing secret or key in logs, pages or Slack; no bearer link (connect or meeting
    link token, OAuth code and state, host sign-in ticket) in the access log
test_forgetting
    /webex disconnect, tokens_revoked (user and bot) and app_uninstalled -> no row of that user or
    workspace left in any table, others untouched
test_several_processes
    two `webex-bot serve` processes on one PostgreSQL -> one refresh per expired token, each OAuth state
    used once, one meeting for a double-submitted form, one delete for a double click, one meeting for a
    form retried on the other process after the first was killed mid-create


PostgreSQL tests need TEST_DATABASE_URL (`.ci/run` sets it) and skip otherwise.
"""
