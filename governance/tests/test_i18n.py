def test_the_ui_is_german_by_default(client_for, steward_a):
    response = client_for(steward_a).get("/intern/")
    html = response.content.decode()
    assert '<html lang="de"' in html
    assert "Aufgaben" in html
    assert "Meine Rollen" in html


def test_english_can_be_chosen(client_for, steward_a):
    client = client_for(steward_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/intern/"})

    html = client.get("/intern/").content.decode()

    assert '<html lang="en"' in html
    assert "Tasks" in html
    assert "My roles" in html
    assert "Data steward" in html


def test_the_public_start_page_renders_in_both_languages(client, db):
    assert "Offene Daten" in client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Open data" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
