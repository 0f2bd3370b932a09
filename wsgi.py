from patti_web import create_app

app = create_app()
