"""The REST API's add goes through the offline extractor: a chat posted as is keeps only its facts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import Svc


def test_a_posted_chat_stores_only_its_facts(svc: Svc) -> None:
    key = svc.key("concierge", ({"user_id": "maya", "agent_id": "concierge"}, "write"))
    chat = [
        {"role": "user", "content": "Hallo! Ich bin Veganerin. Was soll ich heute kochen?"},
        {"role": "assistant", "content": "Notiert! Wie wäre es mit einem Linsencurry?"},
        {"role": "user", "content": "Super, danke! Kannst du mir das Rezept schicken?"},
        {"role": "assistant", "content": "Gern geschehen!"},
    ]
    response = TestClient(svc.app).post(
        "/v1/memories",
        json={"messages": chat, "user_id": "maya", "agent_id": "concierge"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    assert [r["memory"] for r in response.json()["results"]] == ["Ich bin Veganerin."]
    assert [m.text for m in svc.memory.get_all(user_id="maya")] == ["Ich bin Veganerin."]
