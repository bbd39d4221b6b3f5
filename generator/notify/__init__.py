"""`statusgen notify`: each new update told, once, to each audience's channels (chat, email, webhooks).

channels: site.yml's ``notify:`` lists, secrets (``${VAR}``) and redaction; events: what happened,
read from each audience's view; message: the words and the Statuspage-shaped payload; record: what
was sent (exactly once); deliver: Apprise and webhook posting; run: the whole pass.
"""
