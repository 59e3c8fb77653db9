"""The shop's one kind of refusal: an error whose ``user_message`` is safe to show to the
person who asked (a customer or the author), in plain words."""


class RefusedWithMessage(Exception):
    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message
