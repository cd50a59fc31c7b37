"""The intent classifier of our own (nlu/): spelling, the learned out-of-scope boundary, its
files, and how it reads messages written the way customers write, none of them in data/."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.settings import ROOT
from nlu import spelling
from nlu.spelling import SpellingNormaliser, edit_distance
from nlu.sentence_encoder import shared_encoder
from nlu.text_model import BOUNDARY, Fitted, Options, TextModel, learn_boundary, learn_sure, rescale, what_is_read

ANNOTATION = re.compile(r"\[([^\]]*)\]\(\w+\)")


def training_examples() -> tuple[list[str], list[str]]:
    texts, intents = [], []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text())["nlu"]:
            if "intent" in item:
                for line in item["examples"].splitlines():
                    texts.append(ANNOTATION.sub(r"\1", line.strip()[2:]))
                    intents.append(item["intent"])
    return texts, intents


def shipped_pipeline() -> list[dict]:
    return yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]


def shipped_settings() -> tuple[Options, float]:
    pipeline = shipped_pipeline()
    ours = next(c for c in pipeline if c["name"] == "nlu.classifier.TfidfIntentClassifier")
    threshold = next(c for c in pipeline if c["name"] == "FallbackClassifier")["threshold"]
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in ours.items()
               if k not in ("name", "sentence_encoder_layers")}
    return Options(**options), threshold


def shipped_encoder():
    ours = next(c for c in shipped_pipeline() if c["name"] == "nlu.classifier.TfidfIntentClassifier")
    layers = ours.get("sentence_encoder_layers", 0)
    return shared_encoder(layers) if layers else None


def embed(text: str) -> np.ndarray:
    return shipped_encoder().encode([text])[0]


@lru_cache(maxsize=1)
def shipped_model() -> TextModel:
    texts, intents = training_examples()
    texts = [what_is_read(t) for t in texts]  # as nlu/classifier.py trains it
    encoder = shipped_encoder()
    return TextModel.train(texts, intents, shipped_settings()[0], encoder.encode(texts) if encoder else None)


def understood(message: str) -> str:
    name, confidence = shipped_model().rank(message, embed if shipped_encoder() else None)[0]
    return name if confidence >= shipped_settings()[1] else "nlu_fallback"


@pytest.mark.parametrize("typed, meant", [("refnd", "refund"), ("cancle", "cancel"), ("subscribtion", "subscription"),
                                          ("trail", "trial"), ("reimbursment", "reimbursement")])
def test_misspellings_become_the_training_datas_words(typed, meant):
    speller = SpellingNormaliser.learn(["refund my subscription", "cancel the free trial", "a reimbursement"])
    assert speller.correct(typed) == meant


def test_short_words_and_strings_far_from_any_word_are_left_alone():
    speller = SpellingNormaliser.learn(["refund my subscription please"])
    normalised = speller.normalise("Pls asdfgh, refnd 49 USD to sam@example.com!")
    assert normalised == "pls asdfgh, refund 49 usd to sam@example.com!"


def test_a_word_too_long_to_be_a_misspelling_is_not_looked_up(monkeypatch):
    normaliser = SpellingNormaliser.learn(["please refund my subscription"])
    looked_up = []
    real = spelling._deletions
    monkeypatch.setattr(spelling, "_deletions", lambda word, most: looked_up.append(word) or real(word, most))
    assert normaliser.normalise("a" * 2000) == "a" * 2000  # would be two million deletions
    assert looked_up == []
    assert normaliser.normalise("subscriptionnn") == "subscription"  # two edits from a known word: still fixed


def test_a_real_word_is_not_bent_two_edits_into_a_short_one():
    speller = SpellingNormaliser.learn(["sure", "yes"])
    assert speller.normalise("the source of the money") == "the source of the money"


def test_edit_distance_counts_a_swap_of_neighbours_as_one():
    assert [edit_distance("cancle", "cancel"), edit_distance("refnd", "refund"),
            edit_distance("abc", "xyz")] == [1, 1, 3]


def test_confidences_are_rescaled_so_the_learned_boundary_sits_at_the_threshold():
    raw = np.array([0.0, 0.1, 0.3, 0.6, 1.0])
    scaled = rescale(raw, 0.3)
    assert scaled[2] == pytest.approx(BOUNDARY) and scaled[0] == 0 and scaled[-1] == pytest.approx(1)
    assert list(scaled) == sorted(scaled)


def test_with_too_few_intents_to_hide_some_no_boundary_is_learned():
    assert learn_boundary(["refund", "cancel"] * 5, ["a", "b"] * 5, Options()) is None


def test_a_saved_model_loads_to_the_same_answers(tmp_path):
    texts, intents = training_examples()
    model = TextModel.train(texts, intents, Options(folds=2))
    model.save(tmp_path)
    again = TextModel.load(tmp_path)
    for message in ["I want my money back", "hi", "cancle my subscribtion"]:
        before, after = model.rank(message), again.rank(message)
        assert [name for name, _ in after] == [name for name, _ in before]
        assert [c for _, c in after] == pytest.approx([c for _, c in before])
    assert again.boundary == model.boundary


def test_one_message_is_scored_as_scikit_learn_scores_it():
    texts, _ = training_examples()
    fitted = shipped_model().fitted
    odd = ["", "   ", "zzzz qqqq", "REFUND!!!", "ünïcödé ✓ 49€", "a" * 5000, "refund " * 300]
    messages = texts[::7] + odd
    for message in messages:
        assert fitted.probabilities_of(message) == pytest.approx(fitted.probabilities([message])[0], abs=1e-12)
    if shipped_model().deep is not None:
        deep = shipped_model().deep[0]
        dense = shipped_encoder().encode(messages)
        for row, message in enumerate(messages):
            assert deep.probabilities_of(message, dense[row]) == pytest.approx(
                deep.probabilities([message], dense[row:row + 1])[0], abs=1e-12)


def test_a_regression_fitted_with_sentence_embeddings_refuses_a_message_without_one():
    texts = ["refund please", "money back", "cancel it", "stop my plan"] * 3
    intents = ["refund", "refund", "cancel", "cancel"] * 3
    dense = np.eye(4)[[0, 1, 2, 3] * 3]
    with_dense = Fitted.fit(texts, intents, Options(folds=2), dense)
    assert with_dense.regression.classes_[with_dense.probabilities_of("refund please", dense[0]).argmax()] == "refund"
    with pytest.raises(ValueError, match="sentence-embedding dimensions"):
        with_dense.probabilities_of("refund please")
    with pytest.raises(ValueError, match="sentence-embedding dimensions"):
        Fitted.fit(texts, intents, Options(folds=2)).probabilities_of("refund please", dense[0])


def shipped_model_counting_embeddings():
    """The shipped model, the texts it has asked to embed, and the embedder that counts them."""
    model = shipped_model()
    if model.deep is None:
        pytest.skip("config.yml ships no sentence encoder")
    embedded = []

    def counting(text):
        embedded.append(text)
        return embed(text)

    return model, embedded, counting


def test_only_messages_the_ngrams_are_unsure_of_are_embedded():
    texts, intents = training_examples()
    model, embedded, counting = shipped_model_counting_embeddings()
    assert model.sure is not None
    sure = [t for t in texts[:300] if model.fitted.probabilities_of(t).max() >= model.sure]
    unsure = [t for t in texts[:300] if model.fitted.probabilities_of(t).max() < model.sure]
    assert sure and unsure
    for text in sure:
        model.rank(text, counting)
    assert embedded == []
    for text in unsure[:5]:
        model.rank(text, counting)
    assert embedded == unsure[:5]
    with pytest.raises(ValueError, match="needs one"):
        model.rank(unsure[0])


def test_the_turn_benchmarks_two_messages_take_the_two_paths():
    """`make bench-turns` reports a turn without the encoder and one with it: its messages
    must be what it says they are, for the model config.yml ships."""
    from bench.turns_stacks import ENCODED_MESSAGE, OUR_MESSAGE
    model, embedded, counting = shipped_model_counting_embeddings()
    assert model.rank(OUR_MESSAGE, counting)[0][0] == "unused_account" and embedded == []
    assert model.rank(ENCODED_MESSAGE, counting)[0][0] == "unused_account" and embedded == [ENCODED_MESSAGE]


def test_the_ngrams_are_trusted_alone_only_where_they_were_right_99_in_100_times():
    texts, intents = training_examples()
    sure = learn_sure(texts, intents, Options(char_ngrams=(2, 5)))
    assert sure is not None and 0.5 <= sure < 1
    # Labels shuffled: nothing is reliable, so every message would be embedded.
    shuffled = list(np.random.default_rng(0).permutation(intents))
    assert learn_sure(texts, shuffled, Options(char_ngrams=(2, 5))) is None


def test_a_saved_model_with_sentence_embeddings_loads_to_the_same_answers(tmp_path):
    texts = ["refund please", "money back", "I want a refund", "cancel it", "stop my plan", "end my subscription",
             "hello", "hi there", "good morning"] * 3
    intents = ["refund"] * 3 + ["cancel"] * 3 + ["greet"] * 3
    intents = intents * 3
    encoder = shared_encoder()
    model = TextModel.train(texts, intents, Options(folds=2), encoder.encode(texts))
    model.save(tmp_path)
    again = TextModel.load(tmp_path)
    assert again.deep is not None and again.sure == model.sure and again.deep[1] == model.deep[1]
    for message in ["give me my money", "howdy", "refund please"]:
        before = model.rank(message, lambda t: encoder.encode([t])[0])
        after = again.rank(message, lambda t: encoder.encode([t])[0])
        assert [n for n, _ in after] == [n for n, _ in before]
        assert [c for _, c in after] == pytest.approx([c for _, c in before])


def test_a_two_intent_model_scores_one_message_the_general_way():
    model = TextModel.train(["yes", "yes please", "sure", "no", "no thanks", "nope"] * 3,
                            ["affirm"] * 9 + ["deny"] * 9, Options(folds=2))
    for message in ["yes", "nah", ""]:
        assert model.fitted.probabilities_of(message) == pytest.approx(model.fitted.probabilities([message])[0])


# Written for this test, in the ways customers write; none of them is a training example.
CUSTOMERS = [
    ("so I checked my card statement last night and you charged me again even though I barely use it, "
     "can I get that money back?", {"request_refund", "unused_account", "forgot_subscription"}),
    ("pls refnd my last paymnt", {"request_refund"}),
    ("I want to cancle my subscribtion", {"cancel_subscription"}),
    ("how long is the free trail?", {"ask_free_trial"}),
    ("please cancel my plan and refund the money", {"request_refund"}),
    ("cancel everything and give the money back", {"request_refund"}),
    ("this is useless, REFUND ME", {"request_refund"}),
    ("I am cancel yesterday but the money is go out today, please give back", {"late_cancellation"}),
    ("we bought the plan for the team but nobody has logged in even one time", {"unused_account"}),
    ("the group sync is broken again and I'm paying for nothing", {"technical_problem"}),
    ("oh no, I totally forgot this was still running", {"forgot_subscription"}),
    ("yeah ok, do it", {"affirm"}),
    ("no no, keep everything as it is", {"deny"}),
]


@pytest.mark.parametrize("message, acceptable", CUSTOMERS)
def test_messages_written_as_customers_write_are_understood(message, acceptable):
    assert message.lower() not in {t.lower() for t in training_examples()[0]}
    assert understood(message) in acceptable


@pytest.mark.parametrize("typed, read", [
    ("hmm is there a fee", "is there a fee"), ("Umm, can I cancel?", "can I cancel?"),
    ("hm hm what is this", "what is this"), ("erm... what now", "what now"), ("uhh ok", "ok"),
    ("hmm", "hmm"), ("hmmm?", "hmmm?"),  # nothing but the hesitation: read as it is
    ("well done", "well done"), ("oh no, I forgot to cancel", "oh no, I forgot to cancel"),  # words, not sounds
    ("ok do it", "ok do it"), ("ahead of the renewal", "ahead of the renewal"), ("umbrella", "umbrella"),
])
def test_only_a_leading_hesitation_is_left_unread(typed, read):
    assert what_is_read(typed) == read


@pytest.mark.parametrize("hesitant", ["hmm is there a fee", "umm, how do i cancel",
                                      "uh what happens to my data if i leave"])
def test_a_hesitation_before_a_question_leaves_its_reading_as_it_is(hesitant):
    # "hmm is there a fee" read ask_refund_fee 0.48 (not understood) where "is there a fee" read 0.92.
    from rasa.shared.nlu.training_data.message import Message

    from nlu.classifier import TfidfIntentClassifier

    layers = next(c for c in shipped_pipeline() if c["name"] == "nlu.classifier.TfidfIntentClassifier")
    classifier = TfidfIntentClassifier({"sentence_encoder_layers": layers.get("sentence_encoder_layers", 0)},
                                       None, None, shipped_model())
    hesitating, plain = (classifier.process([Message(data={"text": t})])[0].get("intent")
                         for t in (hesitant, what_is_read(hesitant)))
    assert hesitating == plain and plain["confidence"] >= shipped_settings()[1]


@pytest.mark.parametrize("gibberish", ["asdfgh qwerty", "zxcv bnm lkj", "qqqq", "jkjkjk lol"])
def test_gibberish_is_never_a_yes(gibberish):
    assert understood(gibberish) != "affirm"


def test_a_change_to_the_model_code_is_not_answered_from_rasas_training_cache(tmp_path, monkeypatch):
    # Rasa keys a cached trained component by its class's source: the model it trains is in
    # nlu/text_model.py, so a change there has to change the key too.
    from rasa.engine.training.fingerprinting import calculate_fingerprint_key

    from nlu.classifier import TfidfIntentClassifier
    import nlu.text_model

    config = TfidfIntentClassifier.get_default_config()
    before = calculate_fingerprint_key(TfidfIntentClassifier, config, {})
    changed = tmp_path / "text_model.py"
    changed.write_bytes(Path(nlu.text_model.__file__).read_bytes() + b"\n# the boundary is learned otherwise\n")
    monkeypatch.setattr(nlu.text_model, "__file__", str(changed))
    assert calculate_fingerprint_key(TfidfIntentClassifier, config, {}) != before
