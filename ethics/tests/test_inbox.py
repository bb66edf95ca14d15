"""The ethics tasks in "Meine Aufgaben" as board members and stewards meet them: a vote
done is no task any more, and a task text is shortened only between words."""

from governance import inbox as governance_inbox

from . import test_services as given


def dataset_tasks(user, dataset):
    return [task for task in governance_inbox.tasks_for(user) if task.title == dataset.title]


def test_a_dataset_review_leaves_a_members_inbox_once_they_have_voted(review, flagged, steward_a, board_a, board_a2):
    review = given.submitted(review, steward_a)
    assert dataset_tasks(board_a, flagged)
    assert dataset_tasks(board_a2, flagged)

    given.vote(review, board_a, "approved")

    assert dataset_tasks(board_a, flagged) == []
    assert dataset_tasks(board_a2, flagged), "who has not voted yet still has the task"


def test_a_long_condition_is_shortened_between_words(review, steward_a, board_a, board_a2):
    from ethics import services

    review = given.submitted(review, steward_a)
    given.vote(review, board_a, "conditions")
    given.vote(review, board_a2, "conditions")
    text = (
        "Veröffentlichung nur mit Mindestfallzahl fünf je Stadtteil und ohne Angaben zu Geburtsjahrgängen "
        "vor 1940, abgestimmt mit dem Statistikamt"
    )
    services.add_condition(review, by=board_a, text=text, owner=steward_a, due_on=given.later(14))
    given.close(review, board_a)

    (task,) = [t for t in governance_inbox.tasks_for(steward_a) if "Auflage" in t.label]
    shown = task.label.removeprefix("Auflage erfüllen: ")
    assert shown.endswith("…")
    words = shown.removesuffix("…").split()
    assert words
    assert all(word in text.split() for word in words), shown
