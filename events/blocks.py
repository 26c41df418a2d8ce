from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageBlock


class QuestionsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), default=_("Guiding questions"), max_length=120)
    questions = blocks.ListBlock(blocks.CharBlock(max_length=500, label=_("Question")), label=_("Questions"))

    class Meta:
        icon = "help"
        label = _("Guiding questions")
        template = "events/blocks/questions.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quotation"))
    source = blocks.CharBlock(label=_("Source"), required=False, max_length=200)

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "events/blocks/quote.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        max_length=120, form_classname="title", template="events/blocks/heading.html", icon="title"
    )
    paragraph = blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul"])
    questions = QuestionsBlock()
    quote = QuoteBlock()
    image = ImageBlock()


class PresenterBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("Name"), max_length=200)
    credentials = blocks.CharBlock(
        label=_("Credentials"), required=False, max_length=200, help_text=_("For example: PhD, LCSW")
    )
    bio = blocks.TextBlock(label=_("Biography"), required=False)

    class Meta:
        icon = "user"
        label = _("Presenter")
        template = "events/blocks/presenter.html"


# Evaluations: the questions an event asks its attendees after it (registrations/services/evaluations.py
# asks them and keeps the answers). Each block's id is the question's key: it survives edits of the
# wording and the page's translations, so every answer meets its question.

ASKED_FOR = [
    ("event", _("The whole event")),
    ("session", _("Each session attended")),
    ("presenter", _("Each presenter")),
]


class EvaluationQuestionBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"), max_length=300)
    asked_for = blocks.ChoiceBlock(choices=ASKED_FOR, default="event", label=_("Asked about"))
    required = blocks.BooleanBlock(label=_("Required"), required=False, default=True)


class RatingQuestionBlock(EvaluationQuestionBlock):
    scale = blocks.IntegerBlock(label=_("Points on the scale"), default=5, min_value=2, max_value=10)
    lowest = blocks.CharBlock(label=_("Lowest means"), max_length=60, required=False, default=_("Poor"))
    highest = blocks.CharBlock(label=_("Highest means"), max_length=60, required=False, default=_("Excellent"))

    class Meta:
        icon = "pick"
        label = _("Rating")


class ChoiceQuestionBlock(EvaluationQuestionBlock):
    choices = blocks.ListBlock(blocks.CharBlock(max_length=200, label=_("Choice")), label=_("Choices"), min_num=2)
    several = blocks.BooleanBlock(label=_("Several may be chosen"), required=False)

    class Meta:
        icon = "list-ul"
        label = _("Choice")


class TextQuestionBlock(EvaluationQuestionBlock):
    required = blocks.BooleanBlock(label=_("Required"), required=False, default=False)

    class Meta:
        icon = "edit"
        label = _("Free text")


class EvaluationBlock(blocks.StreamBlock):
    rating = RatingQuestionBlock()
    choice = ChoiceQuestionBlock()
    text = TextQuestionBlock()
