"""Mail to a real SMTP server on loopback, sent by the same job as in production."""

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from tests.conftest import Mailbox
from tests.html import submit


class Collector(Message):
    def __init__(self):
        super().__init__()
        self.received = []

    def handle_message(self, message):
        self.received.append(message)


@pytest.fixture
def smtp_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_activation_code_goes_through_smtp_with_text_and_html(make_app, smtp_server):
    handler, port = smtp_server
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)

    submit(
        app.test_client(),
        "/register",
        {
            "full_name": "Ma'ruf Amin",
            "email": "maruf@contoh.id",
            "phone": "+62 813 1111 2222",
            "password": "kopi-tubruk-pagi",
            "accept_terms": "y",
        },
    )
    Mailbox(app).run_jobs()
    assert len(handler.received) == 1
    message = handler.received[0]
    assert "maruf@contoh.id" in message["To"]
    kinds = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= kinds
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    assert "15 menit" in text.get_payload(decode=True).decode()
