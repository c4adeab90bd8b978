/* page.c - the `limit`/`cursor` pages every list of the API answers (SPEC §4):
 * {"<items>":[…],"next_cursor":"<base64url of the page's last key>"|null}. */
#include "api/respond.h"

int api_page_args(struct request *req, struct response *res, long max, long fallback,
                  struct api_page *p)
{
    long limit;
    if (api_query_int(req, res, "limit", 1, max, fallback, &limit) ||
        api_query_cursor(req, res, &p->after))
        return -1;
    p->limit = (size_t)limit;
    p->fetch = p->limit + 1;
    return 0;
}

size_t api_page_begin(struct api_page *p, struct response *res, const char *key, size_t n)
{
    p->more = n > p->limit;
    p->n = p->more ? p->limit : n;
    api_json_begin(res, 200, &p->w);
    jsonw_obj_begin(&p->w);
    jsonw_key(&p->w, key);
    jsonw_arr_begin(&p->w);
    return p->n;
}

void api_page_end(struct api_page *p, struct request *req, struct response *res,
                  const char *last_key)
{
    jsonw_arr_end(&p->w);
    jsonw_kv_str(&p->w, "next_cursor",
                 p->more && last_key ? api_cursor_format(req->arena, last_key) : NULL);
    jsonw_obj_end(&p->w);
    if (jsonw_finish(&p->w))
        res->status = 500;
    api_no_store(req, res);
}
